// Loads infra/ the way the Pulumi CLI's Node.js runtime loads a CommonJS TypeScript program (cwd = `main`,
// its tsconfig.json, Pulumi's ts-node with the project's TypeScript, type-checking on), under Pulumi mocks,
// and prints the stack output names as JSON. Run with cwd = infra/.
const pulumiRoot = require.resolve('@pulumi/pulumi').replace(/index\.js$/, '')
const tsutils = require(`${pulumiRoot}tsutils.js`)
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings()
const compilerOptions = { target: 'ES2020', module: 'nodenext', moduleResolution: 'nodenext', sourceMap: 'true', ...tsutils.loadTypeScriptCompilerOptions('tsconfig.json') }
require(tsnodeRequire).register({ compiler: typescriptRequire, project: 'tsconfig.json', skipProject: false, compilerOptions })
const pulumi = require('@pulumi/pulumi')

const computed = { vpcId: 'vpc-1', privateSubnetIds: ['a'], publicSubnetIds: ['b'], routeTables: [], imageUri: 'image', dnsName: 'alb.example' }
pulumi.runtime
  .setMocks({ newResource: (args) => ({ id: args.name, state: { ...computed, ...args.inputs } }), call: () => ({ region: 'us-east-1', randomPassword: 'p'.repeat(64), names: ['us-east-1a', 'us-east-1b'], zoneIds: ['use1-az1', 'use1-az2'], entries: [] }) }, 'mcp-fargate', 'dev', false)
  .then(async () => {
    const program = require(process.cwd())
    await pulumi.runtime.disconnect()
    process.stdout.write(JSON.stringify(Object.keys(program)))
  })
