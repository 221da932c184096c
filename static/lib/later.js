// later loads a module when a page first needs it rather than with the
// page, so that what a page sends at once is what it shows at once (a
// phone's first join on the hall's Wi-Fi). later(spec) returns get: get(onLoad)
// returns the module once it has loaded, and null meanwhile, calling each
// onLoad given (once per function) when it arrives. A failed load is tried
// again on the next get, with a fresh URL in case the browser keeps the
// failure.
export function later(spec) {
  let mod = null;
  let loading = false;
  let failures = 0;
  const waiting = new Set();
  return (onLoad) => {
    if (mod) return mod;
    if (onLoad) waiting.add(onLoad);
    if (!loading) {
      loading = true;
      import(failures ? `${spec}?retry=${failures}` : spec).then((m) => {
        mod = m;
        loading = false;
        const fns = [...waiting];
        waiting.clear();
        for (const fn of fns) fn(m);
      }, () => {
        failures++;
        loading = false;
        waiting.clear();
      });
    }
    return null;
  };
}
