/**
 * The runtime's default root certificates with more added: what a TLS client option that
 * replaces the roots (`ca`) must be given to add trust rather than replace it. Shared: every
 * runtime provides `node:tls`'s `rootCertificates`; the Bun adapter uses it for
 * `NODE_EXTRA_CA_CERTS`.
 *
 * @module
 */

import { rootCertificates } from "node:tls";

/**
 * The default roots followed by `extra`.
 *
 * @example
 * ```ts ignore
 * const ca = rootsWith(await Bun.file(process.env.NODE_EXTRA_CA_CERTS!).text());
 * ```
 * @param extra PEM text of further CAs.
 * @returns PEM certificates.
 */
export function rootsWith(extra: string): string[] {
  return [...rootCertificates, extra];
}
