// The addon's sources, one list for binding.gyp (CMakeLists.txt globs the same folders).
'use strict'
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
module.exports = ['native/core', 'native/addon'].flatMap((dir) =>
  fs
    .readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.cc'))
    .sort()
    .map((f) => `${dir}/${f}`),
)
