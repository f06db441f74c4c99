// Entry point of the Pulumi program (Pulumi.yaml `main`). Everything lives in program.ts so tests can run it.
import { main } from "./program";

export = main();
