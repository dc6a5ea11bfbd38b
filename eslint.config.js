// Type-checked typescript-eslint rules over the whole repository; formatting is prettier's.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "data/", "node_modules/", "coverage/"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A promise nobody awaits is a lost error (and, at the store boundary, a lost write).
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false } }],
      // AbortSignal.reason is typed any: an aborted call rejects with the reason as given (as only-throw-error allows by default).
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingAny: true }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
  {
    files: ["test/**/*.ts"],
    // vitest types its asymmetric matchers (expect.any, expect.stringContaining, …) as any, by design.
    rules: { "@typescript-eslint/no-unsafe-assignment": "off" },
  },
  { files: ["**/*.js"], ...tseslint.configs.disableTypeChecked },
);
