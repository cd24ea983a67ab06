// torch.nn.functional: stateless layers, activations and losses, composed from tensor ops.
export * from './activation.js';
export { linear, bilinear } from './linear.js';
