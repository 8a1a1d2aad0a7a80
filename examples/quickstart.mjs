// The Cython memoryview guide's quickstart, in memview. Prints the guide's six lines.
import { array, view } from 'memview'

// Memoryview on a NumPy-style array: an arange of 27 ints, reshaped (3, 3, 3)
const narr = Int32Array.from({ length: 27 }, (_, i) => i)
const narrView = view('int[:, :, :]', narr, { shape: [3, 3, 3] })

// Memoryview on a C array (memory memview allocates, as `cdef int carr[3][3][3]`)
const carr = array({ shape: [3, 3, 3], format: 'i' })
const carrView = view('int[:, :, :]', carr)

// Memoryview on a Cython array
const cyarr = array({ shape: [3, 3, 3], itemsize: 4, format: 'i' })
const cyarrView = view('int[:, :, :]', cyarr)

const total = (ta) => ta.reduce((a, b) => a + b, 0)

// Show the sum of all the arrays before altering it
console.log(`NumPy sum of the NumPy array before assignments: ${total(narr)}`)

// Copy the values from one memoryview into another, with ... or (NumPy-style) with a colon.
carrView.at('...').assign(narrView)
cyarrView.at(':').assign(narrView)

// NumPy-style syntax for assigning a single value to all elements.
narrView.at(':, :, :').assign(3)

// Just to distinguish the arrays
carrView.set(0, 0, 0, 100)
cyarrView.set(0, 0, 0, 1000)

// Assigning into the memoryview on the NumPy array alters the latter
console.log(`NumPy sum of NumPy array after assignments: ${total(narr)}`)

// A function using a memoryview: a plain loop over get()
function sum3d(arr) {
  const [I, J, K] = arr.shape
  let sum = 0
  for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) for (let k = 0; k < K; k++) sum += arr.get(i, j, k)
  return sum
}

// A function accepting a memoryview knows how to use an array, a C array, a Cython array...
console.log(`Memoryview sum of NumPy array is ${sum3d(view('int[:, :, :]', narr, { shape: [3, 3, 3] }))}`)
console.log(`Memoryview sum of C array is ${sum3d(view('int[:, :, :]', carr))}`)
console.log(`Memoryview sum of Cython array is ${sum3d(view('int[:, :, :]', cyarr))}`)
// ... and of course, a memoryview.
console.log(`Memoryview sum of C memoryview is ${sum3d(carrView)}`)
