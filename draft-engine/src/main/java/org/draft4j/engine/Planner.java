package org.draft4j.engine;

import org.draft4j.engine.memory.Arena;
import org.draft4j.engine.plan.CheckpointSchedule;
import org.draft4j.engine.plan.Diagnostics;
import org.draft4j.engine.plan.MemoryLayout;
import org.draft4j.engine.plan.OpNode;
import org.draft4j.engine.plan.Plan;
import org.draft4j.engine.plan.Tracer;

import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a {@link Plan} from a graph and the inputs of its first call: selects and orders the ops,
 * applies the rewrites, traces the schedule (computing the call's results on the way), lays out
 * memory, and with verification on replays the plan once and requires the same bits.
 */
final class Planner {
  private static final Logger LOG = LoggerFactory.getLogger(Planner.class);
  private Planner() {}

  /** A plan and the outputs of the call that made it. */
  record Compiled(Plan plan, Map<String, INDArray> outputs) {}

  static Compiled compile(GraphSpec spec, Map<String, INDArray> feeds, ExecutionOptions options, Arena arena) {
    long t0 = System.nanoTime();
    List<String> outs = spec.outputNames();
    List<OpNode> nodes = Selection.select(spec.graph(), feeds.keySet(), outs, spec.forwardOps(), spec.segments());
    boolean canCheckpoint = spec.forwardOps() != null && spec.segments() != null && spec.segments().size() > 1;
    Checkpointing policy = canCheckpoint ? options.checkpointing() : Checkpointing.NEVER;
    Tracer.Trace trace = null;
    boolean checkpointed = false;
    if (policy != Checkpointing.ALWAYS) {
      try {
        trace = Tracer.run(spec.graph(), nodes, feeds, outs, options.rewrites(), options.verify(), options.diagnostics(),
            policy == Checkpointing.AUTO ? options.activationBudgetBytes() : Long.MAX_VALUE);
      } catch (Tracer.OverBudget e) {
        LOG.debug("{}: over the activation budget ({} MB) without checkpointing; recomputing per segment", spec.label(),
            options.activationBudgetBytes() >> 20);
      }
    }
    if (trace == null) {
      nodes = CheckpointSchedule.apply(nodes, outs);
      checkpointed = true;
      trace = Tracer.run(spec.graph(), nodes, feeds, outs, options.rewrites(), options.verify(), options.diagnostics());
    }
    Map<DataType, Long> elements = MemoryLayout.assign(trace.tensors());
    Plan plan = new Plan(trace.nodes(), trace.modes(), trace.tensors(), elements, List.copyOf(feeds.keySet()), outs,
        spec.label() + (checkpointed ? " (checkpointed)" : ""), options.diagnostics());
    if (options.verify()) {
      Map<String, INDArray> again = plan.run(arena, feeds, false);
      for (String o : outs) {
        if (!Tracer.exactlyEqual(again.get(o), trace.outputs().get(o))) {
          String where = trace.snapshots() == null ? "(run with Diagnostics.verifyKernels, -Ddraft4j.verifyKernels=true in the launcher, to find the kernel)"
              : "first difference: " + plan.firstMismatch(arena, feeds, trace.snapshots());
          plan.close();
          LOG.error("plan verification failed for {}: {}", spec.label(), where);
          throw new IllegalStateException("plan verification failed for " + spec.label() + ": output " + o
              + " differs between the traced and the planned run");
        }
      }
    }
    if (options.diagnostics().memoryReport()) {
      LOG.info("{}: {}", spec.label(), MemoryLayout.peakReport(trace.tensors(), trace.nodes(), 25));
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("{}: {} ops -> {} kernels, arena {} MB, planned in {} ms", spec.label(), nodes.size(),
          plan.kernelCount(), plan.arenaBytes() >> 20, (System.nanoTime() - t0) / 1_000_000);
    }
    return new Compiled(plan, trace.outputs());
  }
}
