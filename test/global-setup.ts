// Builds the test-only C library (test/fixtures/clib) once per run, as an outside C library.
import { execFileSync } from 'node:child_process'
import { mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

export const CLIB = join(__dirname, '..', 'build', 'test-clib', 'libmvtest.so')

export default function setup(): void {
  const src = join(__dirname, 'fixtures', 'clib', 'mvtest.c')
  let stale = true
  try {
    stale = statSync(CLIB).mtimeMs < statSync(src).mtimeMs
  } catch {
    stale = true
  }
  if (!stale) return
  mkdirSync(join(__dirname, '..', 'build', 'test-clib'), { recursive: true })
  execFileSync(process.env.CC || 'cc', ['-O2', '-g', '-shared', '-fPIC', '-Wall', '-o', CLIB, src], { stdio: 'inherit' })
}
