// Test runner config. Unit tests run under Pulumi mocks in about a second each; integration tests
// (test/integration) drive real services on 127.0.0.1 and get longer timeouts.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A safety net against a hang, not a speed check: CI runs six lanes on two cores, where a real-service test that
    // takes 20 s alone took over 60 s (two such timeouts in one CI run).
    testTimeout: 180_000,
    hookTimeout: 300_000,
    // Real-service suites share one lab, registry and Docker engine; running files one at a time keeps them from
    // tripping over each other on a 2-core machine.
    fileParallelism: false,
    reporters: ["default"],
  },
});
