// Types for agent-bundle.mjs (plain JS so it runs on bare node before anything is built).
/** The node flags dist/banyan-agent runs the bundle with. */
export declare const AGENT_NODE_FLAGS: readonly string[];
/** glibc allocator settings the launcher gives the agent process (and only it). */
export declare const AGENT_MALLOC_ENV: Readonly<Record<string, string>>;
export declare function buildAgentBundle(opts?: { outDir?: string; appDir?: string }): Promise<{ bundle: string; launcher: string }>;
