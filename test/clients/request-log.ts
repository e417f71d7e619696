import type { Tap } from '../helpers/http.js'
import type { Task } from '../helpers/processes.js'
import type { LogCapture } from '../helpers/server.js'

/** One "request completed" line of a server process's log. */
export interface LoggedRequest {
  method: string
  url: string
  status: number
  /** Who the request authenticated as; absent when it did not. */
  principal?: string
}

/** Where a server process's log is now: `requestsSince` reads what it logs after this point. */
export function markLog(task: Task): number {
  return task.child.output.lastIndexOf('\n') + 1
}

/** The requests a server process logged after the mark. */
export function requestsSince(task: Task, mark: number): LoggedRequest[] {
  return task.child.output
    .slice(mark)
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((line) => line.msg === 'request completed')
}

/** The requests an in-process server logged (its successes only with LOG_LEVEL=debug). */
export function loggedRequests(logs: LogCapture): LoggedRequest[] {
  return logs.records().filter((record) => record.msg === 'request completed') as unknown as LoggedRequest[]
}

const isOAuthProbe = (path: string) => path.includes('/.well-known/') || path === '/register'

/**
 * A client holding a wrong key met nothing but refusals: 401 on the MCP endpoint, and the clear JSON 404 on
 * every OAuth discovery and registration path it probed after reading that 401 as an OAuth challenge.
 */
export function assertOnlyRefusals(t: Tap, requests: LoggedRequest[], endpoint: string) {
  t.ok(
    requests.some((request) => request.status === 401 && request.url === endpoint),
    `the key was refused with 401 on ${endpoint}`,
  )
  const others = requests.filter(
    (request) => !(request.status === 401 && request.url === endpoint) && !(request.status === 404 && isOAuthProbe(request.url)),
  )
  t.same(others.map(({ method, url, status }) => `${status} ${method} ${url}`), [], 'nothing else: only 401s and 404s on OAuth paths')
}
