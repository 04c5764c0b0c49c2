import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EngineLineError, LineSplitter, parseEngineLine } from "../src/index.js";

describe("LineSplitter", () => {
  it("joins an event split across chunks and splits several events in one chunk", () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push(Buffer.from('{"a":1}\n{"b"')), ['{"a":1}']);
    assert.deepEqual(s.push(Buffer.from(':2}\n{"c":3}\n{"d":4}\n')), ['{"b":2}', '{"c":3}', '{"d":4}']);
    assert.equal(s.flush(), undefined);
  });

  it("keeps a multi-byte character split across chunks whole", () => {
    const s = new LineSplitter();
    const bytes = Buffer.from('{"name":"café"}\n');
    const cut = bytes.indexOf(0xa9); // second byte of é
    assert.deepEqual(s.push(bytes.subarray(0, cut)), []);
    assert.deepEqual(s.push(bytes.subarray(cut)), ['{"name":"café"}']);
  });

  it("returns a partial line at disconnect from flush", () => {
    const s = new LineSplitter();
    s.push(Buffer.from('{"a":1}\n{"trunc'));
    assert.equal(s.flush(), '{"trunc');
  });
});

describe("parseEngineLine", () => {
  const line =
    '{"status":"start","id":"0182","from":"httpd","Type":"container","Action":"start","Actor":{"ID":"0182","Attributes":{"image":"httpd","name":"apache"}},"scope":"local","time":1538752533,"timeNano":1538752533877226210}';

  it("keeps timeNano above 2^53 exact", () => {
    const ev = parseEngineLine(line);
    assert.equal(ev.timeNano, 1538752533877226210n);
    assert.equal(ev.time, 1538752533n);
    assert.equal(ev.Actor.Attributes.name, "apache");
    assert.equal(ev.status, "start");
  });

  it("accepts a newer engine's event without status, id and from", () => {
    const ev = parseEngineLine('{"Type":"network","Action":"create","Actor":{"ID":"n1","Attributes":{"name":"net","type":"bridge"}},"scope":"local","time":1,"timeNano":1000000001}');
    assert.equal(ev.status, null);
    assert.equal(ev.Type, "network");
  });

  for (const [bad, why] of [
    ["not json", /not JSON/],
    ["[1,2]", /not a JSON object/],
    ['{"Action":"start","Actor":{"ID":"x"},"time":1,"timeNano":1}', /missing Type/],
    ['{"Type":"container","Actor":{"ID":"x"},"time":1,"timeNano":1}', /missing Action/],
    ['{"Type":"container","Action":"start","time":1,"timeNano":1}', /missing Actor.ID/],
    ['{"Type":"container","Action":"start","Actor":{"ID":"x"},"time":1,"timeNano":-5}', /timeNano/],
  ] as const) {
    it(`rejects ${bad} with its reason`, () => {
      assert.throws(() => parseEngineLine(bad), (e: unknown) => e instanceof EngineLineError && why.test(e.message));
    });
  }
});
