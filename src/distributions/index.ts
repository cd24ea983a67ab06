// torch.distributions: the public namespace (facade: src/generated/api/distributions.ts). Distributions
// sample on their parameters' device from torchlet's Philox stream, validate arguments as PyTorch's
// validate_args, and compute logProb/entropy/KL with differentiable ops (README: torch.distributions).

export { Distribution, type DistributionOpts, type Param } from './distribution.js';
export { Normal, Uniform, Exponential, Laplace, Gamma, Poisson, Bernoulli, Binomial, type ProbsOpts } from './univariate.js';
export { Geometric } from './geometric.js';
export { Categorical, OneHotCategorical, Dirichlet, Beta } from './categorical.js';
export { MultivariateNormal, type MultivariateNormalOpts } from './multivariate.js';
export { Independent, TransformedDistribution, LogNormal, MixtureSameFamily } from './transformed.js';
export { Transform, InverseTransform, ExpTransform, PowerTransform, SigmoidTransform, TanhTransform, AffineTransform, ComposeTransform } from './transforms.js';
export { klDivergence, registerKl, type KlFn, type DistributionClass } from './kl.js';
export * as constraints from './constraints.js';
export * as kl from './kl.js';
export * as transforms from './transforms.js';
