// Validation errors for components: every bad field of one component is collected and reported in one message,
// so `pulumi preview` fails once, with everything the user has to fix.

import { inspect } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { type FieldProblem, formatProblems } from "./problem-text";

export type { FieldProblem } from "./problem-text";
/** @internal */
export { describeValue, formatProblems } from "./problem-text";

/**
 * Thrown at construction when a component's arguments are invalid. A Pulumi `RunError`, so Pulumi's runner prints
 * the message alone, at once (any other error is first formatted with util.inspect, which can take a minute).
 */
export class ComponentInputError extends pulumi.RunError {
  constructor(
    readonly component: string,
    readonly resourceName: string,
    readonly problems: readonly FieldProblem[],
  ) {
    super(formatProblems(component, resourceName, problems));
    this.name = "ComponentInputError";
  }

  /**
   * What util.inspect shows: the name and the message, never `problems` (raw values, masked for secrets) nor what the
   * SDK attaches on the way (the rejected promise). Pulumi's runner inspects every uncaught error for its trace span even
   * when it prints the message alone; inspecting this one the default way cost a failing preview 20 s of CPU, mostly
   * garbage collection (measured on the production stack with a bad registryPassword: 22 s, against 4 s now).
   */
  [inspect.custom](): string {
    return `${this.name}: ${this.message}`;
  }
}

/**
 * Collects problems while a component resolves its arguments, then throws them all at once.
 * Usage: `const v = new Problems("GlanceImage", name); v.check(...); v.throwIfAny();`
 * @internal
 */
export class Problems {
  private readonly list: FieldProblem[] = [];

  constructor(
    private readonly component: string,
    private readonly resourceName: string,
  ) {}

  /** Records a problem when `ok` is false. Returns `ok`, so callers can skip dependent checks. */
  check(ok: boolean, field: string, value: unknown, allowed: string): boolean {
    if (!ok) this.list.push({ field, value, allowed });
    return ok;
  }

  /** Records a problem unconditionally. */
  add(field: string, value: unknown, allowed: string): void {
    this.list.push({ field, value, allowed });
  }

  /** Records the problem a validator returned, if any. */
  report(field: string, value: unknown, problem: string | undefined): boolean {
    if (problem !== undefined) this.list.push({ field, value, allowed: problem });
    return problem === undefined;
  }

  get any(): boolean {
    return this.list.length > 0;
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new ComponentInputError(this.component, this.resourceName, this.list);
  }
}
