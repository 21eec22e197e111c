/**
 * Child process for the kill test: writes `size` bytes of `fill` to `target`
 * through writeFileAtomic, saying "start" first so the parent can aim its
 * SIGKILL at the write.
 *   node atomic-writer-child.js TARGET SIZE FILL
 */
import { writeFileAtomic } from '../../src/host/node/atomic-write.js';

const [target, sizeText, fillText] = process.argv.slice(2);
const data = new Uint8Array(Number(sizeText)).fill(Number(fillText));
process.stdout.write('start\n');
await writeFileAtomic(target!, data);
process.stdout.write('done\n');
