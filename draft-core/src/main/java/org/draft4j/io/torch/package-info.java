/**
 * PyTorch {@code torch.save} files (zip format of torch ≥ 1.6 with ZIP64, and the legacy format) read
 * in Java with no Python step, through {@link org.draft4j.io.torch.TorchFile}.
 *
 * <p><b>Why an own unpickler and not {@code net.razorvine:pickle}.</b> Razorvine's {@code Unpickler}
 * turns any global it does not know into a {@code ClassDictConstructor}, so an unknown class (or
 * {@code os.system}) is accepted and built, not refused; its constructor registry is a static, JVM-wide
 * map ({@code registerConstructor}); the global-loading methods are package-private, so refusing
 * would mean overriding {@code dispatch} for GLOBAL, STACK_GLOBAL, INST and OBJ anyway; it reads from an
 * {@code InputStream} and reports no byte offsets. The subset torch writes (protocol 2, about fifty
 * opcodes) is small, so {@code RestrictedUnpickler} implements exactly it: an
 * explicit allow-list of globals, each mapped to a Java data constructor ({@code PickleGlobals}), no
 * reflection, no class loading, and every refusal names the global, the file and the byte offset.
 */
package org.draft4j.io.torch;
