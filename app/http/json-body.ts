import type { FastifyRequest } from 'fastify'
import { HttpError, RpcCode } from './errors.js'

export interface JsonLimits {
  /** Deepest nesting of objects and arrays (MCP_MAX_JSON_DEPTH). */
  maxJsonDepth: number
  /** Most values (objects, arrays and the values in them) in one body (MCP_MAX_JSON_ELEMENTS). */
  maxJsonElements: number
}

/*
 * What a parsed value costs on the V8 heap beyond the bytes of its text, measured with JSON.parse on Node 20 and
 * 24 alike (1 MiB bodies): an empty object 64 bytes, an empty array 40, a number in an array 8, a short string
 * shared by V8's internalisation. 1 MiB of `[{},{},…]` is 22 MiB of heap: the body's length says little of its cost.
 */
const CONTAINER_COST = 64
const VALUE_COST = 16

interface Shape {
  depth: number
  containers: number
  separators: number
}

/** One pass over the text outside its strings: how deep it nests, and how many containers and separators it has. */
function shapeOf(text: string, maxDepth: number): Shape {
  let depth = 0
  let deepest = 0
  let containers = 0
  let separators = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // a backslash escapes the next character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      containers++
      depth++
      if (depth > deepest) deepest = depth
      if (deepest > maxDepth) break
    } else if (c === 0x7d || c === 0x5d) depth--
    else if (c === 0x2c) separators++
  }
  return { depth: deepest, containers, separators }
}

type Done = (error: Error | null, body?: unknown) => void
export type JsonParser = (request: FastifyRequest, text: string, done: Done) => void

/**
 * Fastify's JSON parser (prototype-poisoning checks included) behind a check of the body's shape: JSON that
 * nests deeper or holds more values than the limits is refused before it is parsed, and what is parsed is
 * charged to the request's input hold at its estimated heap cost (refused when the key or task has no room).
 */
export function shapedJsonParser(limits: JsonLimits, parse: JsonParser): JsonParser {
  return (request, text, done) => {
    const shape = shapeOf(text, limits.maxJsonDepth)
    if (shape.depth > limits.maxJsonDepth) {
      return done(new HttpError(400, `Invalid Request: the JSON nests deeper than ${limits.maxJsonDepth} levels`, RpcCode.invalidRequest))
    }
    if (shape.containers + shape.separators > limits.maxJsonElements) {
      return done(new HttpError(413, `Payload Too Large: the JSON holds more than ${limits.maxJsonElements} values`, RpcCode.invalidRequest))
    }
    try {
      request.inputHold?.resize(text.length + shape.containers * CONTAINER_COST + shape.separators * VALUE_COST)
    } catch (error) {
      return done(error as Error)
    }
    parse(request, text, done)
  }
}
