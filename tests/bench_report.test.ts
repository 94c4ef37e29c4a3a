/**
 * The benchmark's arithmetic and reporting: settings from the environment,
 * medians and ratios, parsers of other programs' output, and the markdown
 * tables. No speed is asserted anywhere.
 */
import assert from "node:assert/strict";
import { benchConfig, capMib, memoryMib, parseSections } from "../bench/lib/config.ts";
import { mbPerSecond, median, ratio } from "../bench/lib/stats.ts";
import {
  listeningPorts,
  parseEngineResults,
  parseOpensslBrief,
  parseProcFiles,
  parseProcStatus,
  parseSTime,
} from "../bench/lib/parse.ts";
import { formatKiB, formatNumber, formatRatio, markdownTable } from "../bench/lib/table.ts";
import { renderReport } from "../bench/lib/report.ts";
import type { BenchResults, EngineResult } from "../bench/lib/types.ts";

Deno.test("bench config: defaults, MEM_MIB following MIB, and loud errors", () => {
  assert.deepEqual(benchConfig({}), { mib: 256, runs: 3, memMib: 1024, seconds: 3 });
  assert.deepEqual(benchConfig({ MIB: "64", RUNS: "1" }), { mib: 64, runs: 1, memMib: 256, seconds: 3 });
  assert.deepEqual(benchConfig({ MIB: "64", MEM_MIB: "32", BENCH_SECONDS: "0.5" }), {
    mib: 64,
    runs: 3,
    memMib: 32,
    seconds: 0.5,
  });
  assert.deepEqual(benchConfig({ MIB: "" }).mib, 256);
  for (const bad of [{ MIB: "0" }, { MIB: "abc" }, { RUNS: "1.5" }, { MIB: "-4" }, { BENCH_SECONDS: "0" }]) {
    assert.throws(() => benchConfig(bad), RangeError, JSON.stringify(bad));
  }
});

Deno.test("bench config: --only picks sections and refuses unknown ones", () => {
  assert.deepEqual([...parseSections(undefined)], ["engine", "e2e", "conn", "memory"]);
  assert.deepEqual([...parseSections("memory, e2e")], ["memory", "e2e"]);
  assert.deepEqual([...parseSections("piped")], ["piped"]);
  assert.throws(() => parseSections("e2e,speed"), /unknown section 'speed'/);
  assert.throws(() => parseSections(","), RangeError);
});

Deno.test("bench config: slow engines and slow paces get smaller payloads", () => {
  assert.deepEqual(capMib(256, 4.2), { mib: 16, capped: true });
  assert.deepEqual(capMib(8, 4.2), { mib: 8, capped: false });
  assert.deepEqual(capMib(256, 900), { mib: 256, capped: false });
  assert.deepEqual(capMib(256, undefined), { mib: 16, capped: true });
  // On a loaded machine every rate drops: only a tenth of the fastest engine's rate counts as slow.
  assert.deepEqual(capMib(256, 44, 87), { mib: 256, capped: false });
  assert.deepEqual(capMib(256, 1.3, 87), { mib: 16, capped: true });
  assert.deepEqual(capMib(256, 30, 0), { mib: 16, capped: true });
  assert.deepEqual(memoryMib(1024, 50), { mib: 1024, capped: false });
  assert.deepEqual(memoryMib(1024, 3), { mib: 71, capped: true });
  assert.equal(memoryMib(1024, 0.001).mib, 1);
});

Deno.test("bench stats: median, ratio, MB/s", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  const input = [5, 1, 3];
  median(input);
  assert.deepEqual(input, [5, 1, 3]); // not sorted in place
  assert.throws(() => median([]), RangeError);
  assert.equal(ratio(50, 200), 0.25);
  assert.equal(ratio(50, undefined), undefined);
  assert.equal(ratio(undefined, 10), undefined);
  assert.equal(ratio(50, 0), undefined);
  assert.equal(ratio(50, NaN), undefined);
  assert.equal(mbPerSecond(5_000_000, 2000), 2.5);
  assert.ok(Number.isNaN(mbPerSecond(1, 0)));
});

const engineJson = JSON.stringify([{
  engine: "forge",
  suite: "TLS_RSA_WITH_AES_128_CBC_SHA",
  restricted: true,
  protocol: "TLSv1",
  handshakesPerSecond: 40.5,
  handshakes: 122,
  clientToServerMBps: 9.1,
  serverToClientMBps: 10.2,
  encryptMBps: 20.4,
  decryptMBps: 19.5,
}]);

Deno.test("bench parse: engine benchmark JSON, checked field by field", () => {
  const [r] = parseEngineResults(engineJson);
  assert.equal(r.engine, "forge");
  assert.equal(r.handshakesPerSecond, 40.5);
  assert.throws(() => parseEngineResults("engine forge…"), SyntaxError);
  assert.throws(() => parseEngineResults("{}"), /not an array/);
  const broken = JSON.parse(engineJson);
  broken[0].clientToServerMBps = "fast";
  assert.throws(() => parseEngineResults(JSON.stringify(broken)), /clientToServerMBps/);
  delete broken[0].restricted;
  assert.throws(() => parseEngineResults(JSON.stringify(broken)), /restricted/);
});

Deno.test("bench parse: the key exchange group of an engine row is optional, and a string when given", () => {
  assert.equal(parseEngineResults(engineJson)[0].group, undefined);
  const withGroup = JSON.parse(engineJson);
  withGroup[0].group = "X25519MLKEM768";
  assert.equal(parseEngineResults(JSON.stringify(withGroup))[0].group, "X25519MLKEM768");
  withGroup[0].group = 4588;
  assert.throws(() => parseEngineResults(JSON.stringify(withGroup)), /'group' is not a string/);
});

Deno.test("bench parse: /proc status and socket tables, s_time, s_client -brief", () => {
  const status = "Name:\tdeno\nUmask:\t0022\nPid:\t4242\nVmPeak:\t 9999 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\n";
  assert.deepEqual(parseProcStatus(status), { hwmKiB: 51200, rssKiB: 40960 });
  assert.deepEqual(parseProcStatus("Name:\tzombie\n"), { hwmKiB: undefined, rssKiB: undefined });
  // As `cat /proc/4242/status /proc/4242/stat /proc/7/status /proc/7/stat` prints them; the
  // command name may hold spaces and parentheses.
  const stat = (pid: number, comm: string, utime: number, stime: number) =>
    `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194560 2000 0 0 0 ${utime} ${stime} 0 0 20 0 5 0 100 0 0\n`;
  const both = parseProcFiles(
    status + stat(4242, "deno", 150, 50) +
      status.replace("4242", "7").replace("51200", "100") + stat(7, "odd (name) x", 3, 4),
  );
  assert.deepEqual(both.get(4242), { hwmKiB: 51200, rssKiB: 40960, cpuSeconds: 2 });
  assert.equal(both.get(7)?.hwmKiB, 100);
  assert.equal(both.get(7)?.cpuSeconds, 0.07);
  assert.equal(parseProcFiles("").size, 0);

  const tcp = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100007F:D903 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1",
    "   1: 0100007F:D903 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1",
    "   2: 0100007F:1F90 0100007F:D903 06 00000000:00000000 00:00000000 00000000     0        0 3 1",
  ].join("\n");
  assert.deepEqual([...listeningPorts(tcp)], [0xd903]);
  assert.equal(listeningPorts("").size, 0);

  const sTime = "Collecting connection statistics for 3 seconds\ntttt\n\n" +
    "812 connections in 1.90s; 427.37 connections/user sec, bytes read 0\n" +
    "812 connections in 4 real seconds, 0 bytes read per connection\n";
  assert.deepEqual(parseSTime(sTime), { connections: 812, userSeconds: 1.9 });
  assert.equal(parseSTime("connect: Connection refused"), undefined);

  const brief = "CONNECTION ESTABLISHED\nProtocol version: TLSv1.3\nCiphersuite: TLS_AES_256_GCM_SHA384\n";
  assert.deepEqual(parseOpensslBrief(brief), { protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384" });
  assert.deepEqual(parseOpensslBrief(""), { protocol: undefined, cipher: undefined });
});

Deno.test("bench table: padded markdown with alignment, escaped cells, number formats", () => {
  const table = markdownTable(["engine", "MB/s"], [["forge", "4.1"], ["a|b", "123"]], ["l", "r"]);
  assert.equal(
    table,
    [
      "| engine | MB/s |",
      "| ------ | ---: |",
      "| forge  |  4.1 |",
      "| a\\|b   |  123 |",
    ].join("\n"),
  );
  assert.throws(() => markdownTable(["a", "b"], [["1"]]), RangeError);
  assert.equal(formatNumber(4.1234), "4.12");
  assert.equal(formatNumber(42.06), "42.1");
  assert.equal(formatNumber(1234.5), "1235");
  assert.equal(formatNumber(undefined), "n/a");
  assert.equal(formatNumber(NaN), "n/a");
  assert.equal(formatRatio(0.4213), "0.42×");
  assert.equal(formatRatio(0.004), "0.0040×");
  assert.equal(formatRatio(undefined), "n/a");
  assert.equal(formatKiB(51200), "50.0 MiB");
  assert.equal(formatKiB(undefined), "n/a");
});

function fileRun(
  wallSeconds: number,
  steadyMBps: number,
  serverCpuSeconds: number,
  clientCpuSeconds: number,
  serverPeakMiB: number,
  clientPeakMiB: number,
) {
  return {
    wallSeconds,
    wallMBps: (256 * 1048576) / 1e6 / wallSeconds,
    steadyMBps,
    serverCpuSeconds,
    clientCpuSeconds,
    serverPeakKiB: serverPeakMiB * 1024,
    clientPeakKiB: clientPeakMiB * 1024,
  };
}

Deno.test("bench report: every section, with medians, ranges, ratios and notes", () => {
  const engines: EngineResult[] = parseEngineResults(engineJson);
  const results: BenchResults = {
    machine: {
      arch: "x86_64",
      cores: 2,
      cpuModel: "Test CPU",
      loadAverage: [0.5, 0.4, 0.3],
      date: "2026-01-01T00:00:00.000Z",
      deno: "2.9.6",
      v8: "1.2.3",
      typescript: "5.0",
      openssl: "OpenSSL 3.0.19",
    },
    config: { mib: 64, runs: 3, memMib: 256, seconds: 3 },
    engines: [...engines, { ...engines[0], engine: "other", restricted: false, suite: "TLS_AES_128_GCM_SHA256" }],
    fileTransfers: [
      {
        id: "project:tls13",
        label: "server.ts + client.ts (tls13)",
        cipher: "TLS_CHACHA20_POLY1305_SHA256 (TLSv1.3)",
        kind: "long",
        payloadMib: 256,
        capped: false,
        runs: [
          fileRun(2.0, 150, 1.0, 1.5, 60, 50),
          fileRun(2.5, 140, 1.2, 1.25, 70, 55),
          fileRun(3.0, 130, 1.1, 1.0, 65, 52),
        ],
        medianMBps: 107.4,
        ratioToOpenssl: 0.5,
      },
      {
        id: "openssl",
        label: "openssl s_server + s_client",
        cipher: "TLS_AES_256_GCM_SHA384 (TLSv1.3)",
        kind: "cold",
        payloadMib: 64,
        capped: false,
        runs: [fileRun(0.4, 200, 0.25, 0.2, 8, 9)],
        medianMBps: 167.8,
        ratioToOpenssl: 1,
      },
    ],
    transfers: [
      {
        id: "project:forge",
        label: "server.ts + client.ts (forge)",
        cipher: "TLS_RSA_WITH_AES_128_CBC_SHA (TLSv1)",
        payloadMib: 16,
        capped: true,
        runs: [
          {
            mbps: 4,
            wallSeconds: 5,
            serverPeakKiB: 100 * 1024,
            clientPeakKiB: 90 * 1024,
            serverCpuSeconds: 3,
            clientCpuSeconds: 2,
          },
          { mbps: 6, wallSeconds: 4, serverPeakKiB: 110 * 1024, serverCpuSeconds: 2, clientCpuSeconds: 1.5 },
          { mbps: 5, wallSeconds: 4.5 },
        ],
        medianMBps: 5,
        ratioToOpenssl: 0.01,
      },
      {
        id: "openssl",
        label: "openssl s_server + s_client",
        cipher: "TLS_AES_256_GCM_SHA384 (TLSv1.3)",
        payloadMib: 64,
        capped: false,
        runs: [{ mbps: 500, wallSeconds: 0.2 }, { mbps: 480, wallSeconds: 0.2 }, { mbps: 520, wallSeconds: 0.2 }],
        medianMBps: 500,
        ratioToOpenssl: 1,
      },
    ],
    connections: [{
      client: "lib/ssl/ssl.ts (forge)",
      server: "server.ts (forge)",
      cipher: "TLS_RSA_WITH_AES_128_CBC_SHA",
      connections: 75,
      failures: 1,
      seconds: 3,
      connectionsPerSecond: 25,
      ratioToOpenssl: 0.125,
    }],
    memory: [{
      label: "server.ts + client.ts (forge)",
      payloadMib: 71,
      capped: true,
      paceMBps: 2.5,
      achievedMBps: 2.49,
      server: { peakKiB: 120 * 1024, at10KiB: 100 * 1024, at90KiB: 101 * 1024 },
      client: { peakKiB: 110 * 1024 },
      maxInFlightMib: 1.25,
      samples: [],
    }],
    notes: ["a note from the run"],
    elapsedSeconds: 123.4,
  };
  const text = renderReport(results);
  assert.match(text, /^# TLS benchmark\n/);
  assert.match(text, /x86_64, 2 cores \(Test CPU\), load 0\.5 0\.4 0\.3/);
  assert.match(text, /Deno 2\.9\.6 \(V8 1\.2\.3, TypeScript 5\.0\); OpenSSL 3\.0\.19/);
  assert.match(text, /MIB=64 RUNS=3 MEM_MIB=256 BENCH_SECONDS=3; .*took 123 s/);
  for (
    const title of [
      "## 1. Engines",
      "## 2. End to end on 127.0.0.1, file-fed",
      "## 2b. End to end through the benchmark's pipes",
      "## 3. New connections",
      "## 4. Memory",
    ]
  ) {
    assert.ok(text.includes(title), title);
  }
  assert.match(
    text,
    /\| forge +\| TLS_RSA_WITH_AES_128_CBC_SHA +\| TLSv1 +\| +40\.5 \| +9\.10 \| +10\.2 \| +20\.4 \| +19\.5 \|/,
  );
  assert.match(text, /TLS_AES_128_GCM_SHA256 \(negotiated\)/);
  assert.match(text, /MB\/s \(median of 3\)/);
  assert.match(text, /MB\/s start → last byte \(median of 3\)/);
  const fileRow = text.split("\n").find((l) => l.startsWith("| server.ts + client.ts (tls13)"))!;
  assert.deepEqual(fileRow.split("|").slice(1, -1).map((c) => c.trim()), [
    "server.ts + client.ts (tls13)",
    "TLS_CHACHA20_POLY1305_SHA256 (TLSv1.3)",
    "256 MiB, long",
    "107", // the median of the wall rates is the result's own
    "89.5–134", // 268.4 MB over 3.0 and over 2.0 s
    "0.50×",
    "140",
    "2.50",
    "4.40 / 5.00", // median CPU s 1.1 and 1.25 over a quarter GiB
    "70.0 MiB",
    "55.0 MiB",
  ]);
  assert.match(text, /\| openssl s_server \+ s_client +\| TLS_AES_256_GCM_SHA384 \(TLSv1\.3\) +\| +64 MiB, cold \|/);
  const forgeRow = text.split("\n").find((l) =>
    l.startsWith("| server.ts + client.ts (forge)") && l.includes("capped")
  )!;
  assert.deepEqual(forgeRow.split("|").slice(1, -1).map((c) => c.trim()), [
    "server.ts + client.ts (forge)",
    "TLS_RSA_WITH_AES_128_CBC_SHA (TLSv1)",
    "16 MiB (capped)",
    "5.00",
    "4.00–6.00",
    "0.01×",
    "4.50",
    "2.50 / 1.75",
    "110.0 MiB",
    "90.0 MiB",
  ]);
  assert.match(text, /\| +500 \| +480–520 \| +1\.00× \|/);
  assert.match(text, /\| +25\.0 \| +0\.13× \| +75 \| +1 \|/);
  assert.match(text, /\| +2\.49 \| +1\.25 MiB \| +120\.0 MiB \| +100\.0 MiB → 101\.0 MiB \|/);
  assert.match(text, /n\/a → n\/a/);
  assert.match(text, /- a note from the run\n$/);
});
