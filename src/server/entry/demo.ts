/** What `hoop demo` needs: the demo stack and its guide (see `entry/gateway.ts` for why entries). */
export { startDemo } from '../demo/demo.js';
export { demoCast, demoGuide } from '../demo/guide.js';
export { createLogger } from '../logger.js';
