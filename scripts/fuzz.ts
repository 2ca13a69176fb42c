// Longer fuzzing than the test suite: the properties of tests/_helpers/security_fuzz.ts with a
// random seed (printed, so a failure can be replayed) and 100 times the runs, then the
// linear-time cases of tests/_helpers/security_linear_time.ts.
//
//   npm run fuzz                                   Node (node --import tsx)
//   npm run fuzz -- --seed 123456 --multiplier 10  replay a seed, or run shorter
//   npm run fuzz -- --only header-lists            one group: http1, header-lists,
//                                                  upgrade-request, close-payload, linear-time
//   bun scripts/fuzz.ts                            the same under Bun
//   deno run --allow-read --allow-env scripts/fuzz.ts   the same under Deno
//
// Exits with 1 when a property or a linear-time case fails; fast-check's report names the seed
// and the path of the shrunk counterexample.
import process from "node:process";
import fc from "fast-check";
import { FUZZ_TARGETS, type FuzzGroup } from "../tests/_helpers/security_fuzz.ts";
import {
  growthProblem,
  linearCases,
  measureLinearCase,
} from "../tests/_helpers/security_linear_time.ts";

interface Options {
  seed: number;
  multiplier: number;
  only: FuzzGroup | "linear-time" | undefined;
}

function parseArgs(args: readonly string[]): Options {
  const options: Options = {
    seed: Math.floor(Math.random() * 0x7fffffff),
    multiplier: 100,
    only: undefined,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = args[i + 1];
    if (arg === "--seed" && value !== undefined) options.seed = Number(value);
    else if (arg === "--multiplier" && value !== undefined) options.multiplier = Number(value);
    else if (arg === "--only" && value !== undefined) options.only = value as Options["only"];
    else {
      console.error(`Unknown argument ${arg}; use --seed N, --multiplier N, --only GROUP`);
      process.exit(2);
    }
    i++;
  }
  if (!Number.isSafeInteger(options.seed) || !(options.multiplier > 0)) {
    console.error("--seed must be an integer and --multiplier a positive number");
    process.exit(2);
  }
  return options;
}

function runtimeName(): string {
  if ("Deno" in globalThis) return `Deno ${Deno.version.deno}`;
  if ("Bun" in globalThis) return `Bun ${Bun.version}`;
  return `Node ${process.version}`;
}

const options = parseArgs(process.argv.slice(2));
console.log(`wsflow fuzz on ${runtimeName()}: seed ${options.seed}, ${options.multiplier}x runs`);
console.log(
  `replay with the arguments --seed ${options.seed} --multiplier ${options.multiplier}`,
);

let failures = 0;
for (const target of FUZZ_TARGETS) {
  if (options.only !== undefined && options.only !== target.group) continue;
  const numRuns = Math.max(1, Math.round(target.runs * options.multiplier));
  const started = performance.now();
  // Every property here is synchronous, so check() returns its details directly.
  const details = fc.check(target.property(), { seed: options.seed, numRuns }) as fc.RunDetails<
    unknown
  >;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (details.failed) {
    failures++;
    console.log(`FAIL ${target.group}: ${target.name} (${seconds} s)`);
    console.log(fc.defaultReportMessage(details) ?? "(no report)");
  } else {
    console.log(`ok   ${target.group}: ${target.name} (${numRuns} runs, ${seconds} s)`);
  }
}

if (options.only === undefined || options.only === "linear-time") {
  for (const linearCase of linearCases()) {
    const measurement = measureLinearCase(linearCase);
    const problem = growthProblem(linearCase, measurement);
    const line = `${linearCase.name} on ${linearCase.shape}: ratio ${measurement.ratio.toFixed(1)}`;
    if (problem === undefined) {
      console.log(`ok   linear-time: ${line}`);
    } else {
      failures++;
      console.log(`FAIL linear-time: ${problem}`);
    }
  }
}

console.log(failures === 0 ? "all passed" : `${failures} failed (seed ${options.seed})`);
process.exit(failures === 0 ? 0 : 1);
