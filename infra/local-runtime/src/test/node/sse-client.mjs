// Reads a task's server-sent-events stream with the npm `eventsource` client, as a browser would, and prints each
// event as one JSON line: {"type","id","data","receivedAt"}. Exits 0 after a final event (done, failed, cancelled),
// 3 when the stream is refused (the status is printed), 4 on a timeout.
import { EventSource } from 'eventsource';

const [url, token, timeoutMs = '120000'] = process.argv.slice(2);
const source = new EventSource(url, {
  fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, Authorization: `Bearer ${token}` } }),
});
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const timer = setTimeout(() => { print({ type: 'timeout' }); source.close(); process.exit(4); }, Number(timeoutMs));
const on = (type, final) => source.addEventListener(type, (e) => {
  print({ type, id: e.lastEventId, data: JSON.parse(e.data), receivedAt: Date.now() });
  if (final) { clearTimeout(timer); source.close(); process.exit(0); }
});
on('progress', false);
on('done', true);
on('failed', true);
on('cancelled', true);
source.onerror = (e) => {
  if (e.code !== undefined && e.code !== 200) {
    print({ type: 'error', status: e.code, message: e.message });
    clearTimeout(timer);
    source.close();
    process.exit(3);
  }
};
