// The conversion catalogue: every way memory enters or leaves memview, whether it copies, and
// what keeps the memory valid. It is data, so the README table is generated from it (npm run docs)
// and test/conversions.test.ts proves each row by writing through one side and reading the other.
//
// The naming rule: view(), as*, slices and .T never copy (and throw when they cannot avoid it);
// to*, copy*, tolist and tobytes always copy.

export type Safety = 'safe' | 'pinned' | 'unsafe'

export interface Conversion {
  /** Stable key; the test of this row is registered under it. */
  readonly id: string
  readonly from: string
  readonly to: string
  readonly call: string
  readonly copies: boolean
  /** safe: memview keeps the memory valid; pinned: valid until released; unsafe: a raw address. */
  readonly safety: Safety
  /** What keeps the memory valid, and what ends it. */
  readonly note: string
}

const TYPED_ARRAYS = [
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
] as const

const rows: Conversion[] = [
  { id: 'arraybuffer', from: 'ArrayBuffer', to: 'MemoryView', call: "view('int[:]', ab)", copies: false, safety: 'safe',
    note: 'The view references the ArrayBuffer. Transferring (detaching) or shrinking it makes every access throw ERR_MEMVIEW_DETACHED.' },
  { id: 'sharedarraybuffer', from: 'SharedArrayBuffer', to: 'MemoryView', call: "view('int[:]', sab)", copies: false, safety: 'safe',
    note: 'The view references the SharedArrayBuffer; other threads see the same bytes.' },
  ...TYPED_ARRAYS.map((name): Conversion => ({
    id: `typedarray:${name}`, from: name, to: 'MemoryView', call: 'view(typedArray)', copies: false, safety: 'safe',
    note: "The view references the TypedArray (its base) and its buffer; the TypedArray's type is the view's format.",
  })),
  { id: 'buffer', from: 'Buffer', to: 'MemoryView', call: 'view(buf)', copies: false, safety: 'safe',
    note: "Format 'B'. Small Buffers share Node's pool: the view sees only the Buffer's own bytes." },
  { id: 'dataview', from: 'DataView', to: 'MemoryView', call: "view('double[:]', dv)", copies: false, safety: 'safe',
    note: 'Untyped bytes: the declaration or opts.format gives the type.' },
  { id: 'rows', from: 'TypedArray[] (rows)', to: 'MemoryView (T**)', call: 'view([row0, row1, ...])', copies: false, safety: 'safe',
    note: 'A pointer table over the rows, built once; the view keeps the table and the rows. A detached row is detected.' },
  { id: 'cyarray', from: 'CyArray', to: 'MemoryView', call: 'view(array({ shape, format }))', copies: false, safety: 'safe',
    note: 'Refcounted owner: memory lives until the last view is gone or array.free() (which detaches every view first).' },
  { id: 'exporter', from: 'exporter ([BUFFER])', to: 'MemoryView', call: 'view(obj)', copies: false, safety: 'pinned',
    note: "The exporter's buffer is held until the view is released (RELEASE_BUFFER runs then, or at GC)." },
  { id: 'pointer', from: 'pointer (bigint)', to: 'MemoryView', call: "fromPointer(ptr, 'int[:10, :2]', { free })", copies: false, safety: 'unsafe',
    note: 'The caller guarantees the address is valid. Without free the memory is borrowed and never freed; with free, it runs once after the last view. Copies where external buffers are refused (v.zeroCopy === false).' },
  { id: 'pointer-indirect', from: 'pointer table (double**)', to: 'MemoryView', call: "fromPointer(ptr, 'double[::view.indirect, ::1]', { shape })", copies: false, safety: 'unsafe',
    note: 'Each pointed-to row is aliased once; NULL entries are refused when the view is made.' },
  { id: 'array-data', from: 'pointer (bigint)', to: 'CyArray', call: 'array({ shape, format, allocate: false, data, free })', copies: false, safety: 'unsafe',
    note: "Cython's callback_free_data: free runs exactly once, after the last view." },
  { id: 'c-new-view', from: 'C memory (C ABI)', to: 'MemoryView', call: 'api->new_view(env, data, ..., free_fn, ctx, &v)', copies: false, safety: 'safe',
    note: 'memview owns the memory from then on; free_fn runs exactly once after the last view (possibly on another thread).' },
  { id: 'c-get-buffer', from: 'MemoryView (any source)', to: 'mv_buffer (C ABI)', call: 'api->get_buffer(env, value, MV_BUF_FULL_RO, &b)', copies: false, safety: 'pinned',
    note: 'The owner is pinned until api->release_buffer(&b); the view counts the export.' },
  { id: 'slice', from: 'MemoryView', to: 'MemoryView', call: "v.at('1:102:2, :')", copies: false, safety: 'safe',
    note: "The slice holds the same memory (and owner) as its parent, also after the parent's release()." },
  { id: 'transpose', from: 'MemoryView', to: 'MemoryView', call: 'v.T / v.transpose(...axes)', copies: false, safety: 'safe',
    note: 'New strides over the same memory; refused for indirect dimensions.' },
  { id: 'cast', from: 'MemoryView', to: 'MemoryView', call: "v.cast('B')", copies: false, safety: 'safe',
    note: "memoryview.cast's rules: C-contiguous views only, same bytes reinterpreted." },
  { id: 'asTypedArray', from: 'MemoryView', to: 'TypedArray', call: 'v.asTypedArray()', copies: false, safety: 'safe',
    note: 'Aliases the memory; throws unless C-contiguous, direct and aligned. After array.free() it is detached (length 0).' },
  { id: 'toTypedArray', from: 'MemoryView', to: 'TypedArray', call: 'v.toTypedArray()', copies: true, safety: 'safe',
    note: 'A new TypedArray with the elements in C order.' },
  { id: 'tobytes', from: 'MemoryView', to: 'Buffer', call: "v.tobytes('C' | 'F' | 'A')", copies: true, safety: 'safe',
    note: "The elements' bytes in the requested order." },
  { id: 'tolist', from: 'MemoryView', to: 'nested arrays', call: 'v.tolist()', copies: true, safety: 'safe',
    note: 'Element values (bigint for 8-byte integers, objects for structs and complex).' },
  { id: 'copy', from: 'MemoryView', to: 'MemoryView (CyArray)', call: 'v.copy()', copies: true, safety: 'safe',
    note: 'New C-contiguous memory (direct, writable); its base is the new CyArray.' },
  { id: 'copyFortran', from: 'MemoryView', to: 'MemoryView (CyArray)', call: 'v.copyFortran()', copies: true, safety: 'safe',
    note: 'New Fortran-contiguous memory.' },
  { id: 'ops-cast', from: 'MemoryView', to: 'MemoryView (CyArray)', call: "ops.cast(v, 'd')", copies: true, safety: 'safe',
    note: 'New memory with converted elements (NumPy astype).' },
  { id: 'share', from: 'MemoryView', to: 'MemoryView in a worker', call: 'view(v.share())', copies: false, safety: 'safe',
    note: 'SharedArrayBuffer or native memory only; the memory lives until the last view in any thread is gone.' },
  { id: 'getBuffer', from: 'any source', to: 'BufferInfo', call: 'getBuffer(obj, PyBUF.FULL_RO)', copies: false, safety: 'pinned',
    note: "info.buf aliases the memory; the source's view counts the export until info.release()." },
  { id: 'addressOf', from: 'MemoryView', to: 'pointer (bigint)', call: 'addressOf(v)', copies: false, safety: 'unsafe',
    note: 'The address of element [0, ..., 0], valid only while a view keeps the memory alive.' },
]

/** The catalogue (frozen). */
export const conversions: readonly Conversion[] = Object.freeze(rows.map((r) => Object.freeze(r)))

/** The README's table of the catalogue (markdown). */
export function conversionsTable(): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|')
  const lines = [
    '| from | to | call | copies | safety | what keeps the memory valid |',
    '|---|---|---|---|---|---|',
  ]
  for (const c of conversions) {
    if (c.id.startsWith('typedarray:') && c.id !== 'typedarray:Int8Array') continue
    const from = c.id === 'typedarray:Int8Array' ? 'every TypedArray' : c.from
    lines.push(`| ${esc(from)} | ${esc(c.to)} | \`${esc(c.call)}\` | ${c.copies ? 'copy' : 'zero-copy'} | ${c.safety} | ${esc(c.note)} |`)
  }
  return lines.join('\n')
}
