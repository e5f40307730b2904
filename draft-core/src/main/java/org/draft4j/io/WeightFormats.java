package org.draft4j.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Recognizes a weights file's format from its first bytes and opens it as a {@link TensorStore}. */
final class WeightFormats {
  private WeightFormats() {}

  /** The formats a weights file can be in. */
  enum Format {
    SAFETENSORS, SAFETENSORS_INDEX, TORCH_ZIP, TORCH_LEGACY
  }

  static TensorStore open(Path file) {
    return switch (detect(file)) {
      case SAFETENSORS -> SafetensorsFile.open(file);
      case SAFETENSORS_INDEX -> ShardedWeights.open(file);
      case TORCH_ZIP, TORCH_LEGACY -> org.draft4j.io.torch.TorchFile.open(file);
    };
  }

  /** Opens one shard named by an index: any format but another index. */
  static TensorStore openShard(Path file) {
    if (detect(file) == Format.SAFETENSORS_INDEX) {
      throw new SafetensorsException(file + ": a shard must be a weights file, not another shard index");
    }
    return open(file);
  }

  /** The format of {@code file} from its first bytes, or an error naming the file and what is allowed. */
  static Format detect(Path file) {
    byte[] head = new byte[16];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    } catch (IOException e) {
      throw new SafetensorsException(file + ": cannot read (" + e + ")", e);
    }
    // safetensors first: its 8-byte header length can begin with any byte (640 = 0x280 begins with 0x80 0x02,
    // a legacy pickle's first bytes), so it is recognized by its '{' at byte 8 and a length that fits the file
    if (n >= 9) {
      long len = 0;
      for (int i = 7; i >= 0; i--) {
        len = (len << 8) | (head[i] & 0xff);
      }
      long size;
      try {
        size = Files.size(file);
      } catch (IOException e) {
        throw new SafetensorsException(file + ": cannot read (" + e + ")", e);
      }
      if (len >= 2 && len <= size - 8 && head[8] == '{') {
        return Format.SAFETENSORS;
      }
    }
    if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
      return Format.TORCH_ZIP;
    }
    if (n >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5) {
      return Format.TORCH_LEGACY;
    }
    if (n >= 1 && head[0] == '{') {
      return Format.SAFETENSORS_INDEX;
    }
    throw new SafetensorsException(file + ": not a weights file draft4j reads (" + n + " bytes read; allowed: "
        + "safetensors, a .safetensors.index.json shard index, a PyTorch torch.save file in zip or legacy format)");
  }
}
