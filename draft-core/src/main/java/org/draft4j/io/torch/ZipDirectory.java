package org.draft4j.io.torch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The central directory of a zip file, read by hand so that each entry's data offset is known and
 * stored entries can be memory-mapped in place ({@link java.util.zip.ZipFile} hides offsets). Reads the
 * end-of-central-directory record (searched back over the comment), its ZIP64 locator and record when
 * a field is saturated (files over 4 GB, or over 65,535 entries), every central header with its ZIP64
 * extra field, and each entry's local header (whose name must match and whose extra field, torch's
 * 64-byte alignment padding, sets where the data starts). Only single-disk, unencrypted archives.
 */
final class ZipDirectory {
  /** One entry: its name, where its data starts in the file, its stored and uncompressed sizes, method and CRC-32. */
  record Entry(String name, long dataOffset, long compressedSize, long size, int method, int crc) {}

  private static final int EOCD = 0x06054b50;
  private static final int ZIP64_LOCATOR = 0x07064b50;
  private static final int ZIP64_EOCD = 0x06064b50;
  private static final int CENTRAL = 0x02014b50;
  private static final int LOCAL = 0x04034b50;
  private static final long MAX_DIRECTORY = 256L << 20;

  private ZipDirectory() {}

  /** The entries of the zip file on {@code ch}, in central-directory order, fully validated. */
  static Map<String, Entry> read(FileChannel ch, long size, String source) {
    if (size < 22) {
      throw new TorchFormatException(source + ": " + size + " bytes, too short for a zip end record (22 bytes)");
    }
    int tailLen = (int) Math.min(size, 22 + 0xffff);
    long tailStart = size - tailLen;
    ByteBuffer tail = FileBytes.read(ch, tailStart, tailLen, source, "the zip end record");
    int e = -1;
    for (int i = tailLen - 22; i >= 0; i--) {
      if (tail.getInt(i) == EOCD && i + 22 + (tail.getShort(i + 20) & 0xffff) == tailLen) {
        e = i;
        break;
      }
    }
    if (e < 0) {
      throw new TorchFormatException(source + ": no zip end-of-central-directory record in the last " + tailLen
          + " bytes (truncated or not a zip file)");
    }
    long eocdPos = tailStart + e;
    int disk = tail.getShort(e + 4) & 0xffff;
    int cdDisk = tail.getShort(e + 6) & 0xffff;
    long count = tail.getShort(e + 10) & 0xffff;
    long cdSize = tail.getInt(e + 12) & 0xffffffffL;
    long cdOffset = tail.getInt(e + 16) & 0xffffffffL;
    long cdEnd = eocdPos;
    if (count == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL) {
      if (eocdPos < 20) {
        throw new TorchFormatException(source + ": saturated zip end record at byte " + eocdPos + " without a ZIP64 locator");
      }
      ByteBuffer loc = FileBytes.read(ch, eocdPos - 20, 20, source, "the ZIP64 locator");
      if (loc.getInt(0) != ZIP64_LOCATOR) {
        throw new TorchFormatException(source + ": saturated zip end record at byte " + eocdPos
            + " but no ZIP64 locator before it (signature 0x" + Integer.toHexString(loc.getInt(0)) + ")");
      }
      long z = loc.getLong(8);
      if (z < 0 || z + 56 > eocdPos - 20) {
        throw new TorchFormatException(source + ": ZIP64 end record offset " + z + " is outside [0, " + (eocdPos - 76) + "]");
      }
      ByteBuffer z64 = FileBytes.read(ch, z, 56, source, "the ZIP64 end record");
      if (z64.getInt(0) != ZIP64_EOCD) {
        throw new TorchFormatException(source + ": no ZIP64 end record at byte " + z + " (signature 0x"
            + Integer.toHexString(z64.getInt(0)) + ")");
      }
      disk = z64.getInt(16);
      cdDisk = z64.getInt(20);
      count = z64.getLong(32);
      cdSize = z64.getLong(40);
      cdOffset = z64.getLong(48);
      cdEnd = z;
    }
    if (disk != 0 || cdDisk != 0) {
      throw new TorchFormatException(source + ": a multi-disk zip (disk " + disk + ", directory on disk " + cdDisk
          + "); torch writes single files");
    }
    if (cdOffset < 0 || cdSize < 0 || cdOffset + cdSize > cdEnd) {
      throw new TorchFormatException(source + ": central directory [" + cdOffset + ", +" + cdSize
          + ") runs past its end record at byte " + cdEnd + " (truncated or damaged)");
    }
    if (cdSize > MAX_DIRECTORY || count < 0 || count > cdSize / 46) {
      throw new TorchFormatException(source + ": central directory of " + cdSize + " bytes cannot hold " + count
          + " entries (at most " + MAX_DIRECTORY + " bytes, 46 per entry at least)");
    }
    ByteBuffer cd = FileBytes.read(ch, cdOffset, (int) cdSize, source, "the central directory");
    Map<String, Entry> entries = new LinkedHashMap<>();
    int p = 0;
    for (long n = 0; n < count; n++) {
      if (p + 46 > cdSize || cd.getInt(p) != CENTRAL) {
        throw new TorchFormatException(source + ": central directory entry " + n + " at byte " + (cdOffset + p)
            + " is missing or damaged (expected signature 0x02014b50)");
      }
      int flags = cd.getShort(p + 8) & 0xffff;
      int method = cd.getShort(p + 10) & 0xffff;
      int crc = cd.getInt(p + 16);
      long csize = cd.getInt(p + 20) & 0xffffffffL;
      long usize = cd.getInt(p + 24) & 0xffffffffL;
      int nameLen = cd.getShort(p + 28) & 0xffff;
      int extraLen = cd.getShort(p + 30) & 0xffff;
      int commentLen = cd.getShort(p + 32) & 0xffff;
      int startDisk = cd.getShort(p + 34) & 0xffff;
      long local = cd.getInt(p + 42) & 0xffffffffL;
      if (p + 46L + nameLen + extraLen + commentLen > cdSize) {
        throw new TorchFormatException(source + ": central directory entry " + n + " runs past the directory's end");
      }
      byte[] nb = new byte[nameLen];
      cd.get(p + 46, nb);
      String name = new String(nb, (flags & 0x800) != 0 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
      String what = source + ": zip entry \"" + name + "\"";
      // ZIP64 extra field: the saturated values, in this order
      int x = p + 46 + nameLen;
      int xEnd = x + extraLen;
      while (x + 4 <= xEnd) {
        int id = cd.getShort(x) & 0xffff;
        int len = cd.getShort(x + 2) & 0xffff;
        if (x + 4 + len > xEnd) {
          throw new TorchFormatException(what + ": extra field 0x" + Integer.toHexString(id) + " runs past its entry");
        }
        if (id == 0x0001) {
          int q = x + 4;
          int qEnd = q + len;
          if (usize == 0xffffffffL) {
            usize = zip64Field(cd, q, qEnd, what, "size");
            q += 8;
          }
          if (csize == 0xffffffffL) {
            csize = zip64Field(cd, q, qEnd, what, "compressed size");
            q += 8;
          }
          if (local == 0xffffffffL) {
            local = zip64Field(cd, q, qEnd, what, "local header offset");
            q += 8;
          }
          if (startDisk == 0xffff && q + 4 <= qEnd) {
            startDisk = cd.getInt(q);
          }
        }
        x += 4 + len;
      }
      if ((flags & 1) != 0) {
        throw new TorchFormatException(what + " is encrypted");
      }
      if (startDisk != 0) {
        throw new TorchFormatException(what + " starts on disk " + startDisk + "; torch writes single files");
      }
      if (local < 0 || local + 30 > cdOffset) {
        throw new TorchFormatException(what + ": local header offset " + local + " is outside [0, " + (cdOffset - 30) + "]");
      }
      ByteBuffer lh = FileBytes.read(ch, local, 30, source, "the local header of \"" + name + "\"");
      if (lh.getInt(0) != LOCAL) {
        throw new TorchFormatException(what + ": no local header at byte " + local + " (signature 0x"
            + Integer.toHexString(lh.getInt(0)) + ")");
      }
      int lNameLen = lh.getShort(26) & 0xffff;
      int lExtraLen = lh.getShort(28) & 0xffff;
      if (lNameLen != nameLen || local + 30 + nameLen > cdOffset) {
        throw new TorchFormatException(what + ": the local header at byte " + local + " names " + lNameLen
            + " bytes, the central directory " + nameLen);
      }
      ByteBuffer ln = FileBytes.read(ch, local + 30, nameLen, source, "the local name of \"" + name + "\"");
      if (!ln.equals(ByteBuffer.wrap(nb))) {
        throw new TorchFormatException(what + ": the local header at byte " + local + " names a different entry");
      }
      long data = local + 30 + nameLen + lExtraLen;
      if (csize < 0 || data + csize > cdOffset) {
        throw new TorchFormatException(what + ": data [" + data + ", +" + csize + ") runs past the central directory at byte "
            + cdOffset + " (truncated or damaged)");
      }
      if (method == 0 && csize != usize) {
        throw new TorchFormatException(what + ": stored entry with compressed size " + csize + " and size " + usize);
      }
      if (entries.put(name, new Entry(name, data, csize, usize, method, crc)) != null) {
        throw new TorchFormatException(what + " appears twice");
      }
      p += 46 + nameLen + extraLen + commentLen;
    }
    return Collections.unmodifiableMap(entries);
  }

  private static long zip64Field(ByteBuffer cd, int q, int end, String what, String field) {
    if (q + 8 > end) {
      throw new TorchFormatException(what + ": the ZIP64 extra field lacks the " + field);
    }
    long v = cd.getLong(q);
    if (v < 0) {
      throw new TorchFormatException(what + ": ZIP64 " + field + " " + Long.toUnsignedString(v) + " is out of range");
    }
    return v;
  }
}
