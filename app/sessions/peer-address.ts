import { z } from 'zod'
import type { Config } from '../config.js'

const ContainerMetadata = z.object({
  Networks: z.array(z.object({ IPv4Addresses: z.array(z.string()).min(1) })).min(1),
})

/**
 * The address other tasks use to reach this one's peer port: MCP_PEER_ADDRESS when set, else the task's
 * private IP from the ECS task metadata endpoint, else loopback (one machine, several processes).
 * Undefined when the peer port is off (MCP_PEER_PORT=0): sessions are then never relayed.
 */
export async function resolvePeerAddress(config: Config): Promise<string | undefined> {
  if (config.peerPort === 0) return undefined
  if (config.peerAddress) return config.peerAddress
  if (config.ecsMetadataUri) {
    const response = await fetch(config.ecsMetadataUri, { signal: AbortSignal.timeout(5_000) })
    if (!response.ok) throw new Error(`ECS metadata endpoint answered ${response.status}`)
    const metadata = ContainerMetadata.parse(await response.json())
    return `${metadata.Networks[0].IPv4Addresses[0]}:${config.peerPort}`
  }
  return `127.0.0.1:${config.peerPort}`
}
