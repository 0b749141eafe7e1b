/**
 * Static files from the built app (dist/). Vite's hashed bundles under `assets/` are cached for a year;
 * everything else (index.html, data files, public/ copies) is revalidated on every load.
 */
import { relative, sep } from 'node:path';
import type { ServerResponse } from 'node:http';
import express, { type RequestHandler } from 'express';

/** A year, the usual lifetime for content-addressed files (their name changes when they do). */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Cache, but ask the server (ETag / Last-Modified) before every use. */
const REVALIDATE = 'no-cache';
/** Vite names emitted files `name-HASH.ext`; its hashes are 8 characters of base64url. */
const HASHED_NAME = /-[A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$/;

/** True for a Vite-hashed file under `<root>/assets/` (safe to cache forever). */
export function isHashedAsset(root: string, filePath: string): boolean {
  const rel = relative(root, filePath).split(sep);
  return rel.length >= 2 && rel[0] === 'assets' && HASHED_NAME.test(rel[rel.length - 1] ?? '');
}

/** Serves `root` with sensible Cache-Control and `application/wasm` for .wasm (needed by streaming compile). */
export function staticFiles(root: string): RequestHandler {
  return express.static(root, {
    index: 'index.html',
    cacheControl: false,
    dotfiles: 'ignore',
    setHeaders: (res: ServerResponse, filePath: string) => {
      if (filePath.endsWith('.wasm')) res.setHeader('Content-Type', 'application/wasm');
      res.setHeader('Cache-Control', isHashedAsset(root, filePath) ? IMMUTABLE : REVALIDATE);
    },
  });
}
