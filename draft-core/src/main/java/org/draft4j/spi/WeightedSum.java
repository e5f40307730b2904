package org.draft4j.spi;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.nd4j.autodiff.samediff.SDVariable;

/** {@code Σ w_i·r_i}, flattening nested sums; every term is logged separately (unweighted). */
public final class WeightedSum implements Reward {
  /** One weighted term. */
  public record Term(double weight, Reward reward) {
    public Term {
      checkArgument(Double.isFinite(weight), "reward weight %s must be finite", weight);
      checkArgument(reward != null, "reward must not be null");
    }
  }

  private final List<Term> terms;

  private WeightedSum(List<Term> terms) {
    this.terms = List.copyOf(terms);
  }

  /** A sum of terms; nested sums are flattened with their weights multiplied. */
  public static WeightedSum of(List<Term> terms) {
    checkArgument(!terms.isEmpty(), "a weighted sum needs at least one term");
    List<Term> flat = new ArrayList<>();
    for (Term t : terms) {
      if (t.reward() instanceof WeightedSum ws) {
        for (Term inner : ws.terms) {
          flat.add(new Term(t.weight() * inner.weight(), inner.reward()));
        }
      } else {
        flat.add(t);
      }
    }
    return new WeightedSum(flat);
  }

  public List<Term> terms() {
    return terms;
  }

  @Override
  public SDVariable score(RewardGraph g, SDVariable images) {
    SDVariable total = null;
    Set<String> seen = new HashSet<>();
    for (Term t : terms) {
      SDVariable r = t.reward().score(g, images);
      String n = t.reward().name();
      for (int i = 2; !seen.add(n); i++) {
        n = t.reward().name() + "#" + i;
      }
      g.logTerm(n, r);
      SDVariable w = r.mul(t.weight());
      total = total == null ? w : total.add(w);
    }
    return total;
  }

  @Override
  public boolean independentPerImage() {
    return terms.stream().allMatch(t -> t.reward().independentPerImage());
  }

  @Override
  public String name() {
    return terms.stream().map(t -> (t.weight() == 1 ? "" : t.weight() + "*") + t.reward().name())
        .collect(Collectors.joining(" + "));
  }
}
