package org.draft4j.sampling;

/**
 * One step of a chain as an affine map of its input {@code x_i} and the (decorated) model output
 * {@code out_i = f(x_i, t_i, c)}, with {@code z_i} the step's standard-normal noise:
 * <pre>
 *   x_{i+1} = a·x_i + b·out_i + c·z_i        (the next state)
 *   x̂₀     = p·x_i + q·out_i                (the one-step read-out of the clean sample)
 * </pre>
 * The backward of a step given {@code g = dL/dy} of its output {@code y} is then
 * {@code dL/dx_i = a·g + J_xᵀ(b·g)} and {@code dL/dθ = J_θᵀ(b·g)} ({@code (p, q)} in place of
 * {@code (a, b)} for the read-out); the noise is a constant of the rollout.
 *
 * @param a coefficient of the input in the next state
 * @param b coefficient of the model output in the next state
 * @param c coefficient of the noise (0: a deterministic step, no noise drawn)
 * @param p coefficient of the input in the read-out x̂₀
 * @param q coefficient of the model output in the read-out x̂₀
 */
public record StepCoefficients(double a, double b, double c, double p, double q) {}
