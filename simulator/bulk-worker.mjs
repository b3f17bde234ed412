// A worker thread of the bulk load: TypeScript runs through tsx's loader, as in bin/aifi.mjs.
import { register } from 'tsx/esm/api';

register();
await import('./bulk-worker.ts');
