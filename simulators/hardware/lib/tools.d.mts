// Types for tools.mjs (plain JS so the fake CLIs start without tsx).
import type { HardwareScenario } from './scenario.mjs';

export const TOOL_NAMES: string[];
export function main(tool: string): void;
/** What `tool args` prints for a scenario, faults aside. */
export function render(tool: string, args: readonly string[], scenario: HardwareScenario): { stdout: string; stderr: string; code: number };
