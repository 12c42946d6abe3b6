import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";

const api = `http://127.0.0.1:${process.env.API_PORT ?? "8080"}`;

export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: {
    rollupOptions: { input: { main: "index.html", apiDocs: "api-docs.html" } },
    // Swagger UI alone is ~1.5 MB; it only loads on the docs page.
    chunkSizeWarningLimit: 2000,
  },
  server: {
    // A regex key, so /api-docs.html stays with Vite.
    proxy: { "^/api/": api, "/healthz": api, "/readyz": api },
  },
  preview: {
    proxy: { "^/api/": api, "/healthz": api, "/readyz": api },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
