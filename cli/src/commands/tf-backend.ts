import { loadTensorflow, nativeAddonStatus, parseBackendChoice } from '@clickwise/tf';
import { info, parseCommandArgs, printJson, type Command } from '../command.js';

export const tfBackendCommand: Command = {
  name: 'tf-backend',
  summary: 'load TensorFlow.js as the trainer does and say which backend runs (native, wasm, cpu)',
  help: `Usage: clickwise tf-backend [--backend auto|native|wasm|cpu] [--json]

Loads TensorFlow.js (default: TF_BACKEND, else auto: native, then wasm, then cpu), runs one op and
prints the backend in use, and why each better one was not used. The native backend is
@tensorflow/tfjs-node on libtensorflow built by the bootstrap from PyPI (ADR 0050; its log is
.clickwise/tfjs-native.log).`,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { backend: { type: 'string' } });
    const loaded = await loadTensorflow({ backend: parseBackendChoice(values.backend ?? process.env.TF_BACKEND, values.backend ? '--backend' : 'TF_BACKEND') });
    const sum = loaded.tf.tidy(() => loaded.tf.tensor1d([1, 2, 3]).sum().dataSync()[0]);
    const addon = nativeAddonStatus();
    const result = { backend: loaded.backend, tfBackendName: loaded.tfBackendName, ok: sum === 6, nativeAddon: addon.path, fallbacks: loaded.fallbacks };
    info(`TensorFlow.js backend: ${loaded.backend} ("${loaded.tfBackendName}")${result.ok ? '' : ' — but 1+2+3 != 6'}`);
    if (loaded.backend === 'native') info(`  addon: ${addon.path}`);
    for (const f of loaded.fallbacks) info(`  not ${f.backend}: ${f.reason}`);
    if (values.json) printJson(result);
    return result.ok ? 0 : 1;
  },
};
