// Which Pythons the benchmark backends try, in order: BANYAN_PYTHON first, then the
// distribution's /usr/bin/python3 (where apt's python3-torch and python3-numpy live, often
// shadowed by pyenv on PATH), then python3 on PATH. One list for every backend that needs Python.
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [...new Set([env.BANYAN_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p))];
}
