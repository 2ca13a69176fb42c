// The schema of ECOSYSTEM-CONTRACT.md section 1, for the graphql-ws tests: `hello(name)` and a
// `countdown(from)` subscription that yields n..0, one value every `tick` ms.
import { buildSchema, type GraphQLSchema } from "graphql";

/** The contract's schema. */
export const schema: GraphQLSchema = buildSchema(`
  type Query { hello(name: String): String! }
  type Subscription { countdown(from: Int!): Int! }
`);

/** The roots (resolvers) for `makeServer({ schema, roots })`. */
export function roots(tick = 1): Record<string, Record<string, unknown>> {
  return {
    query: { hello: ({ name }: { name?: string | null }) => `Hello ${name ?? "world"}` },
    subscription: {
      countdown: async function* ({ from }: { from: number }) {
        for (let n = from; n >= 0; n--) {
          yield { countdown: n };
          if (n > 0) await new Promise((resolve) => setTimeout(resolve, tick));
        }
      },
    },
  };
}
