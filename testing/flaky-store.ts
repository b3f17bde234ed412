import { StoreError, type Store } from '../store/index.ts';

/**
 * A real store behind a switch: while `down`, every call fails the way the
 * server adapter fails when ClickHouse is unreachable (a retryable
 * 'unavailable' StoreError). For outage tests on the embedded engine, which
 * cannot be made unreachable from outside.
 */
export function outageSwitch(store: Store): { store: Store; down: boolean } {
  const control = { down: false, store: store };
  const refuse = () => {
    throw new StoreError('unavailable', 'ClickHouse at the test store is not reachable: connect ECONNREFUSED (outage)');
  };
  control.store = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'close') return value;
      return (...args: unknown[]) => {
        if (control.down) {
          if (property === 'stream') return (async function* () { refuse(); })();
          return Promise.resolve().then(refuse);
        }
        return value.apply(target, args);
      };
    },
  });
  return control;
}
