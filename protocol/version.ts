// The release both halves report (`banyan --version`, the agent's birth). package.json carries the
// same string; tests/protocol/version.test.ts keeps the two equal. Here, not read from package.json,
// because the installed edge agent ships without one.
export const BANYAN_VERSION = '0.1.0';
