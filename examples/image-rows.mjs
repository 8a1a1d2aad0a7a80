// An image handed out as row pointers (each row a Uint8Array inside one padded buffer, as imaging
// libraries do): a T** view that slicing crops and flips without copying, and native kernels reduce.
import { ops, view } from 'memview'

const width = 6
const height = 4
const pitch = 8 // bytes per row, padding included
const pixels = new Uint8Array(pitch * height)
const rows = Array.from({ length: height }, (_, y) => pixels.subarray(y * pitch, y * pitch + width))
rows.forEach((row, y) => row.forEach((_, x) => (row[x] = 10 * y + x)))

const img = view('uint8_t[::view.indirect, ::1]', rows)
console.log(`shape ${img.shape}, suboffsets ${img.suboffsets}`)

const crop = img.at('1:3, 2:5') // rows 1-2, columns 2-4: the same pixels
console.log(`crop: ${JSON.stringify(crop.tolist())}`)
crop.assign(255) // writes through to `pixels`
console.log(`row 1 of the buffer: ${Array.from(pixels.subarray(pitch, pitch + width))}`)

const flipped = img.at('::-1').copy() // a direct, C-contiguous copy, bottom row first
console.log(`flipped copy: C-contiguous ${flipped.isCContiguous}, first pixel ${flipped.get(0, 0)}`)
console.log(`mean brightness: ${ops.mean(img)}`)
