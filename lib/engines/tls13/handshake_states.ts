/**
 * The states of the TLS 1.3 handshakes, client and server. Each state is
 * its own type and holds exactly the data its step needs, so no step can
 * read what another has not produced yet (rustls' `ExpectServerHello` →
 * `ExpectEncryptedExtensions` → … → `ExpectServerFinished`).
 *
 * @module
 */

import type { KeyShare } from "../../crypto/provider.ts";
import type { CipherSuiteInfo } from "../../protocol/constants.ts";
import type { ClientHello, RawClientHello } from "../../protocol/messages.ts";
import type { HandshakeSecrets } from "./key_schedule.ts";
import type { Agreed } from "./negotiation.ts";

// ---- client ---------------------------------------------------------------

/** The ClientHello that is out, and the key shares it carries. */
export interface SentHello {
  hello: RawClientHello;
  /** The first ClientHello as framed, which a HelloRetryRequest turns into message_hash. */
  firstRaw: Uint8Array;
  shares: KeyShare[];
  /** Extension types we offered: the server may answer only these. */
  offered: Set<number>;
}

/** Handshake traffic keys and what chose them. */
export interface HandshakeKeys {
  suite: CipherSuiteInfo;
  group: number;
  secrets: HandshakeSecrets;
}

/** The server's certificate request (RFC 8446 §4.3.2). */
export interface CertRequest {
  context: Uint8Array;
  schemes: number[];
}

/** What the server's flight settled so far. */
export interface Flight {
  keys: HandshakeKeys;
  /** Extension types we offered: certificate entries may answer only these. */
  offered: Set<number>;
  alpn?: string;
  certRequest?: CertRequest;
}

// Each state holds exactly what its step needs.
export interface ExpectServerHello {
  name: "ExpectServerHello";
  sent: SentHello;
  /** The suite of the HelloRetryRequest, after one. */
  retriedWith?: CipherSuiteInfo;
}
export interface ExpectEncryptedExtensions {
  name: "ExpectEncryptedExtensions";
  keys: HandshakeKeys;
  offered: Set<number>;
}
export interface ExpectServerCertificateOrRequest {
  name: "ExpectServerCertificateOrRequest";
  flight: Flight;
}
export interface ExpectServerCertificate {
  name: "ExpectServerCertificate";
  flight: Flight;
}
export interface ExpectServerCertificateVerify {
  name: "ExpectServerCertificateVerify";
  flight: Flight;
  certificates: Uint8Array[];
}
export interface ExpectServerFinished {
  name: "ExpectServerFinished";
  flight: Flight;
  certificates: Uint8Array[];
  scheme: number;
}
export type ClientState =
  | { name: "Start" }
  | ExpectServerHello
  | ExpectEncryptedExtensions
  | ExpectServerCertificateOrRequest
  | ExpectServerCertificate
  | ExpectServerCertificateVerify
  | ExpectServerFinished
  | { name: "Done" };

// ---- server ---------------------------------------------------------------

/** What the rest of the handshake needs once the server's flight is out. */
export interface Established {
  agreed: Agreed;
  suite: CipherSuiteInfo;
  group: number;
  /** Verifies the client's Finished. */
  clientHandshakeSecret: Uint8Array;
  /** Read keys once the client's Finished checks out. */
  clientApplicationSecret: Uint8Array;
}

/** The client's certificate, once read. */
export interface PeerAuth {
  certificates: Uint8Array[];
  scheme?: number;
}

/** Each state holds exactly what its step needs. */
// Each state holds exactly what its step needs.
export interface ExpectRetriedClientHello {
  name: "ExpectRetriedClientHello";
  first: ClientHello;
  /** The group the HelloRetryRequest asked for. */
  group: number;
}
export interface ExpectClientCertificate {
  name: "ExpectClientCertificate";
  established: Established;
}
export interface ExpectClientCertificateVerify {
  name: "ExpectClientCertificateVerify";
  established: Established;
  certificates: Uint8Array[];
}
export interface ExpectClientFinished {
  name: "ExpectClientFinished";
  established: Established;
  peer: PeerAuth;
}
export type ServerState =
  | { name: "ExpectClientHello" }
  | ExpectRetriedClientHello
  | ExpectClientCertificate
  | ExpectClientCertificateVerify
  | ExpectClientFinished
  | { name: "Done" };
