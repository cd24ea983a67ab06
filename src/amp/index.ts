// torch.amp: automatic mixed precision. `autocast` regions run PyTorch's op lists in float16/float32
// (src/amp/autocast.ts, hooked where ops are exported); `GradScaler` scales the loss and skips steps
// whose gradients overflowed (src/amp/grad-scaler.ts). torch.autocast is this module's autocast.
export { autocast, isAutocastEnabled, clearAutocastCache, AutocastGuard } from './autocast.js';
export type { AutocastOptions, AutocastRegionOptions, AutocastPolicy } from './autocast.js';
export { GradScaler } from './grad-scaler.js';
export type { GradScalerOptions, GradScalerStateDict, ScaleOutputs } from './grad-scaler.js';
