import type { BackendSettings } from "../settings.js";
import { createCoprClient } from "./copr/client.js";
import { createImageBuilderClient } from "./image-builder/client.js";
import { createKojiClient } from "./koji/client.js";
import { createOpenScanHubClient } from "./openscanhub/client.js";
import { createTestingFarmClient } from "./testing-farm/client.js";
import type { BackendClient, BackendName } from "./types.js";

export type Backends = Record<BackendName, BackendClient>;

/** One client per backend, from the service settings. */
export function createBackends(s: BackendSettings): Backends {
  return {
    copr: createCoprClient(s.copr),
    "testing-farm": createTestingFarmClient(s.testingFarm),
    koji: createKojiClient(s.koji),
    "image-builder": createImageBuilderClient(s.imageBuilder),
    openscanhub: createOpenScanHubClient(s.openscanhub, { maxSrpmBytes: s.openscanhub.maxSrpmBytes, tempDir: s.openscanhub.tempDir }),
  };
}
