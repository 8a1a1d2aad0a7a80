// The examples run as a user would run them (node examples/x.mjs) and print what they promise.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

const run = (name: string): string[] =>
  execFileSync(process.execPath, [join(__dirname, '..', 'examples', name)], { encoding: 'utf8' }).trim().split('\n')

describe('examples', () => {
  it('workers.mjs: two workers fill halves of one native array in place', () => {
    expect(run('workers.mjs')).toEqual(['sum: 1500000', 'row 0 mean: 1, row 999 mean: 2'])
  })

  it('image-rows.mjs: a row-pointer image cropped, written through, flipped and reduced', () => {
    expect(run('image-rows.mjs')).toEqual([
      'shape 4,6, suboffsets 0,-1',
      'crop: [[12,13,14],[22,23,24]]',
      'row 1 of the buffer: 10,11,255,255,255,15',
      'flipped copy: C-contiguous true, first pixel 30',
      'mean brightness: 76.75',
    ])
  })
})
