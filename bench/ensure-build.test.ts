import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReason, ensureBuild, newestMtime } from './ensure-build.ts';

describe('buildReason', () => {
  it('asks for a build when dist is missing or older than a source', () => {
    expect(buildReason(null, 5)).toContain('missing');
    expect(buildReason(10, 20)).toContain('older');
    expect(buildReason(20, 10)).toBeNull();
    expect(buildReason(20, 20)).toBeNull();
  });
});

describe('newestMtime and ensureBuild', () => {
  it('finds the newest file in a tree; with --no-build it refuses a missing dist and accepts a stale one', async () => {
    const root = await mkdtemp(join(tmpdir(), 'bench-build-'));
    try {
      await mkdir(join(root, 'src', 'deep'), { recursive: true });
      await writeFile(join(root, 'src', 'a.ts'), '');
      await writeFile(join(root, 'src', 'deep', 'b.ts'), '');
      await utimes(join(root, 'src', 'a.ts'), 1000, 1000);
      await utimes(join(root, 'src', 'deep', 'b.ts'), 2000, 2000);
      await utimes(join(root, 'src', 'deep'), 1500, 1500);
      await utimes(join(root, 'src'), 1500, 1500);
      expect(await newestMtime(join(root, 'src'))).toBe(2_000_000);
      expect(await newestMtime(join(root, 'nope'))).toBe(0);

      await expect(ensureBuild(root, false)).rejects.toThrow(/--no-build/);
      await mkdir(join(root, 'dist'));
      for (const p of ['index.html', 'bench-transport.html', 'bench-backends.html']) {
        await writeFile(join(root, 'dist', p), '');
        await utimes(join(root, 'dist', p), 1800, 1800);
      }
      expect(await ensureBuild(root, false)).toContain('older than its sources, but --no-build');
      await utimes(join(root, 'src', 'deep', 'b.ts'), 1700, 1700);
      expect(await ensureBuild(root, true)).toContain('up to date');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
