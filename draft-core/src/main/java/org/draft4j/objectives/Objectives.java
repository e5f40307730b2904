package org.draft4j.objectives;

/** Static factories of the built-in objectives. r = reward of the decoded final image. */
public final class Objectives {
  private Objectives() {}

  /** Full DRaFT: −mean r, gradient through every sampling step (checkpointed). */
  public static Objective draft() {
    return new FullDraft();
  }

  /** DRaFT-K: gradient through the last k steps only. */
  public static Objective draftK(int k) {
    return new DraftK(k);
  }

  /** DRaFT-LV with n re-noised final steps. */
  public static Objective draftLv(int n) {
    return new DraftLv(n);
  }

  /** DRaFT-LV with NeMo/paper default n = 2. */
  public static Objective draftLv() {
    return new DraftLv(2);
  }

  /** DRaFT+: DRaFT-K plus klCoeff times the MSE between adapted and base guided predictions. */
  public static Objective draftPlus(int k, double klCoeff) {
    return new DraftPlus(k, klCoeff);
  }

  /** ReFL: one-step x̂₀ from a random step in [minStep, maxStep] (ImageReward: 30..39 of 40). */
  public static Objective refl(int minStep, int maxStep) {
    return new Refl(minStep, maxStep);
  }

  /** AlignProp-style random K in [minK, maxK], one draw per batch. */
  public static Objective alignProp(int minK, int maxK) {
    return new AlignProp(minK, maxK);
  }
}
