// torchlet_gloo: the Gloo engine of torch.distributed, a Node-API addon over Debian's libgloo.
// Contract: every collective is Gloo's own (gloo::allreduce, broadcast, ...); it runs on the
// group's worker thread, never on the JS thread, and completes a Promise. Buffers are plain
// TypedArrays the JS side owns and keeps untouched until the op completes (we hold a reference).
// Rendezvous uses gloo's connectFullMesh over StoreClient: torchlet's TCP store protocol
// (src/distributed/store.ts) spoken from C++. waitSync blocks only the caller that asks for it
// (DDP's end of backward, as PyTorch's reducer does), while the work itself stays on its thread.
#include <node_api.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gloo/allgather.h>
#include <gloo/allreduce.h>
#include <gloo/alltoall.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/gather.h>
#include <gloo/math.h>
#include <gloo/reduce.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/prefix_store.h>
#include <gloo/rendezvous/store.h>
#include <gloo/scatter.h>
#include <gloo/transport/tcp/device.h>
#include <gloo/types.h>

namespace {

using ms = std::chrono::milliseconds;

// ---------------------------------------------------------------- store client
// Frames: request [u32 len][u8 op][u32 klen][key][u32 vlen][val][u32 timeoutMs];
// reply [u32 len][u8 status: 0 ok, 1 timeout, 2 error][u32 vlen][val]. Ops: 1 set, 2 get (waits).
class StoreClient : public gloo::rendezvous::Store {
 public:
  StoreClient(const std::string& host, int port, ms timeout) : timeout_(timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string err;
    for (;;) {
      addrinfo hints{}, *res = nullptr;
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
      if (rc == 0) {
        for (addrinfo* a = res; a; a = a->ai_next) {
          int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
          if (fd < 0) continue;
          if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) { fd_ = fd; break; }
          err = strerror(errno);
          ::close(fd);
        }
        freeaddrinfo(res);
      } else {
        err = gai_strerror(rc);
      }
      if (fd_ >= 0) break;
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("cannot reach the store at " + host + ":" + std::to_string(port) + ": " + err);
      std::this_thread::sleep_for(ms(50));
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~StoreClient() override { if (fd_ >= 0) ::close(fd_); }

  void set(const std::string& key, const std::vector<char>& data) override { call(1, key, data, timeout_); }
  std::vector<char> get(const std::string& key) override { return call(2, key, {}, timeout_); }
  void wait(const std::vector<std::string>& keys) override { wait(keys, timeout_); }
  void wait(const std::vector<std::string>& keys, const ms& timeout) override {
    for (const auto& k : keys) call(2, k, {}, timeout);
  }

 private:
  int fd_ = -1;
  ms timeout_;

  void writeAll(const void* p, size_t n) {
    auto c = static_cast<const char*>(p);
    while (n) {
      ssize_t w = ::send(fd_, c, n, MSG_NOSIGNAL);
      if (w <= 0) throw std::runtime_error(std::string("store connection lost: ") + strerror(errno));
      c += w; n -= w;
    }
  }
  void readAll(void* p, size_t n) {
    auto c = static_cast<char*>(p);
    while (n) {
      ssize_t r = ::recv(fd_, c, n, 0);
      if (r <= 0) throw std::runtime_error("store connection closed (did rank 0 exit?)");
      c += r; n -= r;
    }
  }
  std::vector<char> call(uint8_t op, const std::string& key, const std::vector<char>& val, ms timeout) {
    std::vector<char> f;
    auto u32 = [&](uint32_t v) { uint32_t be = htonl(v); f.insert(f.end(), (char*)&be, (char*)&be + 4); };
    u32(0);
    f.push_back(char(op));
    u32(key.size()); f.insert(f.end(), key.begin(), key.end());
    u32(val.size()); f.insert(f.end(), val.begin(), val.end());
    u32(uint32_t(timeout.count()));
    uint32_t len = htonl(uint32_t(f.size() - 4));
    std::memcpy(f.data(), &len, 4);
    writeAll(f.data(), f.size());
    uint32_t rlen;
    readAll(&rlen, 4);
    rlen = ntohl(rlen);
    std::vector<char> r(rlen);
    readAll(r.data(), rlen);
    if (rlen < 5) throw std::runtime_error("store: malformed reply");
    uint8_t status = uint8_t(r[0]);
    uint32_t vlen;
    std::memcpy(&vlen, r.data() + 1, 4);
    vlen = ntohl(vlen);
    std::vector<char> out(r.begin() + 5, r.begin() + 5 + vlen);
    if (status == 1) throw std::runtime_error("timed out after " + std::to_string(timeout.count()) + " ms waiting for store key '" + key + "' (a rank did not join)");
    if (status != 0) throw std::runtime_error("store error: " + std::string(out.begin(), out.end()));
    return out;
  }
};

// ---------------------------------------------------------------- ops and completion
struct OpState {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::string err;
  napi_deferred deferred = nullptr;
  std::vector<napi_ref> refs;
};

napi_threadsafe_function g_tsfn = nullptr;
std::map<int64_t, std::shared_ptr<OpState>> g_ops;  // JS thread only
int64_t g_nextOp = 1;
int g_pending = 0;

void finish(int64_t id, const std::shared_ptr<OpState>& st, std::string err) {
  {
    std::lock_guard<std::mutex> l(st->mu);
    st->done = true;
    st->err = std::move(err);
  }
  st->cv.notify_all();
  napi_call_threadsafe_function(g_tsfn, reinterpret_cast<void*>(id), napi_tsfn_blocking);
}

void onComplete(napi_env env, napi_value, void*, void* data) {
  int64_t id = reinterpret_cast<int64_t>(data);
  auto it = g_ops.find(id);
  if (it == g_ops.end() || env == nullptr) return;
  auto st = it->second;
  g_ops.erase(it);
  for (auto r : st->refs) napi_delete_reference(env, r);
  st->refs.clear();
  if (st->err.empty()) {
    napi_value u;
    napi_get_undefined(env, &u);
    napi_resolve_deferred(env, st->deferred, u);
  } else {
    napi_value msg, e;
    napi_create_string_utf8(env, st->err.c_str(), st->err.size(), &msg);
    napi_create_error(env, nullptr, msg, &e);
    napi_reject_deferred(env, st->deferred, e);
  }
  if (--g_pending == 0) napi_unref_threadsafe_function(env, g_tsfn);
}

// ---------------------------------------------------------------- groups
struct Group {
  std::shared_ptr<gloo::rendezvous::Context> ctx;
  int rank = 0, size = 1;
  ms timeout{1800000};
  uint32_t tag = 0;
  std::thread worker;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> q;
  bool stop = false, busy = false;

  Group() {
    worker = std::thread([this] {
      for (;;) {
        std::function<void()> fn;
        {
          std::unique_lock<std::mutex> l(mu);
          cv.wait(l, [this] { return stop || !q.empty(); });
          if (q.empty()) return;
          fn = std::move(q.front());
          q.pop_front();
          busy = true;
        }
        fn();
        std::lock_guard<std::mutex> l(mu);
        busy = false;
      }
    });
  }
  void post(std::function<void()> fn) {
    { std::lock_guard<std::mutex> l(mu); q.push_back(std::move(fn)); }
    cv.notify_one();
  }
  // Joins when idle; a worker stuck in a collective at exit is left to the process's end.
  void shutdown() {
    bool idle;
    { std::lock_guard<std::mutex> l(mu); stop = true; idle = !busy; }
    cv.notify_one();
    if (!worker.joinable()) return;
    if (idle) worker.join(); else worker.detach();
  }
};

std::vector<Group*> g_groups;

// ---------------------------------------------------------------- N-API helpers
#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, nullptr, "torchlet_gloo: N-API call failed: " #call); return nullptr; } } while (0)

struct Buf { void* data = nullptr; size_t bytes = 0; };

bool getBuf(napi_env env, napi_value v, Buf* b, std::vector<napi_ref>* refs) {
  bool is;
  napi_is_typedarray(env, v, &is);
  if (!is) { napi_throw_type_error(env, nullptr, "torchlet_gloo: expected a TypedArray"); return false; }
  napi_typedarray_type t; size_t len; napi_value ab; size_t off;
  napi_get_typedarray_info(env, v, &t, &len, &b->data, &ab, &off);
  size_t es = (t == napi_float64_array || t == napi_bigint64_array || t == napi_biguint64_array) ? 8
            : (t == napi_float32_array || t == napi_int32_array || t == napi_uint32_array) ? 4
            : (t == napi_int16_array || t == napi_uint16_array) ? 2 : 1;
  b->bytes = len * es;
  napi_ref r;
  napi_create_reference(env, v, 1, &r);
  refs->push_back(r);
  return true;
}
int32_t getI32(napi_env env, napi_value v) { int32_t x = 0; napi_get_value_int32(env, v, &x); return x; }
std::string getStr(napi_env env, napi_value v) {
  size_t n = 0; napi_get_value_string_utf8(env, v, nullptr, 0, &n);
  std::string s(n, '\0'); napi_get_value_string_utf8(env, v, &s[0], n + 1, &n);
  return s;
}
Group* getGroup(napi_env env, napi_value v) {
  void* p = nullptr; napi_get_value_external(env, v, &p); return static_cast<Group*>(p);
}

// Starts an op: [id, promise]; fn runs on `g`'s worker (or on a thread of its own when g is null).
napi_value start(napi_env env, std::vector<napi_ref> refs, Group* g, std::function<void()> fn) {
  auto st = std::make_shared<OpState>();
  st->refs = std::move(refs);
  napi_value promise;
  napi_create_promise(env, &st->deferred, &promise);
  int64_t id = g_nextOp++;
  g_ops[id] = st;
  if (g_pending++ == 0) napi_ref_threadsafe_function(env, g_tsfn);
  auto task = [id, st, fn = std::move(fn)] {
    std::string err;
    try { fn(); } catch (const std::exception& e) { err = e.what(); if (err.empty()) err = "unknown error"; }
    catch (...) { err = "unknown error"; }
    finish(id, st, std::move(err));
  };
  if (g) g->post(std::move(task)); else std::thread(std::move(task)).detach();
  napi_value arr, idv;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_int64(env, id, &idv);
  napi_set_element(env, arr, 0, idv);
  napi_set_element(env, arr, 1, promise);
  return arr;
}

using RedFn = void (*)(void*, const void*, const void*, size_t);
// dtype codes: 0 float32, 1 int32, 2 float64, 3 uint8. ops: 0 sum, 1 product, 2 min, 3 max.
template <typename T> RedFn redOf(int op) {
  switch (op) {
    case 0: return &gloo::sum<T>;
    case 1: return &gloo::product<T>;
    case 2: return &gloo::min<T>;
    default: return &gloo::max<T>;
  }
}
RedFn reduceFn(int dtype, int op) {
  switch (dtype) {
    case 0: return redOf<float>(op);
    case 1: return redOf<int32_t>(op);
    case 2: return redOf<double>(op);
    default: return redOf<uint8_t>(op);
  }
}
size_t elemSize(int dtype) { return dtype == 2 ? 8 : dtype == 3 ? 1 : 4; }

// Gloo's options are templated on the element type; the byte-typed (char) variants move the same bytes.
#define ARGS(n) size_t argc = n; napi_value argv[n]; napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr)

// newGroup(storeHost, storePort, prefix, rank, size, timeoutMs, hostname, iface) -> [group, id, promise]
napi_value NewGroup(napi_env env, napi_callback_info info) {
  ARGS(8);
  std::string host = getStr(env, argv[0]);
  int port = getI32(env, argv[1]);
  std::string prefix = getStr(env, argv[2]);
  int rank = getI32(env, argv[3]), size = getI32(env, argv[4]);
  int64_t tmo = 0; napi_get_value_int64(env, argv[5], &tmo);
  std::string hostname = getStr(env, argv[6]), iface = getStr(env, argv[7]);
  auto g = new Group();
  g->rank = rank; g->size = size; g->timeout = ms(tmo);
  g_groups.push_back(g);
  napi_value r = start(env, {}, g, [g, host, port, prefix, hostname, iface] {
    gloo::transport::tcp::attr attr;
    if (!iface.empty()) attr.iface = iface; else attr.hostname = hostname;
    auto dev = gloo::transport::tcp::CreateDevice(attr);
    StoreClient client(host, port, g->timeout);
    gloo::rendezvous::PrefixStore store(prefix, client);
    auto ctx = std::make_shared<gloo::rendezvous::Context>(g->rank, g->size);
    ctx->setTimeout(g->timeout);
    ctx->connectFullMesh(store, dev);
    g->ctx = ctx;
  });
  napi_value ext, out;
  napi_create_external(env, g, nullptr, nullptr, &ext);
  napi_create_array_with_length(env, 3, &out);
  napi_value idv, pr;
  napi_get_element(env, r, 0, &idv);
  napi_get_element(env, r, 1, &pr);
  napi_set_element(env, out, 0, ext);
  napi_set_element(env, out, 1, idv);
  napi_set_element(env, out, 2, pr);
  return out;
}

// allreduce(group, buf, dtype, op)
napi_value Allreduce(napi_env env, napi_callback_info info) {
  ARGS(4);
  Group* g = getGroup(env, argv[0]);
  std::vector<napi_ref> refs; Buf b;
  if (!getBuf(env, argv[1], &b, &refs)) return nullptr;
  int dtype = getI32(env, argv[2]), op = getI32(env, argv[3]);
  uint32_t tag = g->tag++;
  return start(env, std::move(refs), g, [g, b, dtype, op, tag] {
    gloo::AllreduceOptions o(g->ctx);
    o.setReduceFunction(reduceFn(dtype, op));
    o.setTag(tag);
    o.setTimeout(g->timeout);
    // Typed output: gloo hands the reduce function element counts of the type it was set with.
    switch (dtype) {
      case 0: o.setOutput(static_cast<float*>(b.data), b.bytes / 4); break;
      case 1: o.setOutput(static_cast<int32_t*>(b.data), b.bytes / 4); break;
      case 2: o.setOutput(static_cast<double*>(b.data), b.bytes / 8); break;
      default: o.setOutput(static_cast<uint8_t*>(b.data), b.bytes); break;
    }
    gloo::allreduce(o);
  });
}

// reduce(group, buf, dtype, op, root): in place, the result on root.
napi_value Reduce(napi_env env, napi_callback_info info) {
  ARGS(5);
  Group* g = getGroup(env, argv[0]);
  std::vector<napi_ref> refs; Buf b;
  if (!getBuf(env, argv[1], &b, &refs)) return nullptr;
  int dtype = getI32(env, argv[2]), op = getI32(env, argv[3]), root = getI32(env, argv[4]);
  uint32_t tag = g->tag++;
  return start(env, std::move(refs), g, [g, b, dtype, op, root, tag] {
    gloo::ReduceOptions o(g->ctx);
    switch (dtype) {
      case 0: o.setInput(static_cast<float*>(b.data), b.bytes / 4); o.setOutput(static_cast<float*>(b.data), b.bytes / 4); break;
      case 1: o.setInput(static_cast<int32_t*>(b.data), b.bytes / 4); o.setOutput(static_cast<int32_t*>(b.data), b.bytes / 4); break;
      case 2: o.setInput(static_cast<double*>(b.data), b.bytes / 8); o.setOutput(static_cast<double*>(b.data), b.bytes / 8); break;
      default: o.setInput(static_cast<uint8_t*>(b.data), b.bytes); o.setOutput(static_cast<uint8_t*>(b.data), b.bytes); break;
    }
    o.setReduceFunction(reduceFn(dtype, op));
    o.setRoot(root);
    o.setTag(tag);
    o.setTimeout(g->timeout);
    gloo::reduce(o);
  });
}

// broadcast(group, buf, root): bytes, in place.
napi_value Broadcast(napi_env env, napi_callback_info info) {
  ARGS(3);
  Group* g = getGroup(env, argv[0]);
  std::vector<napi_ref> refs; Buf b;
  if (!getBuf(env, argv[1], &b, &refs)) return nullptr;
  int root = getI32(env, argv[2]);
  uint32_t tag = g->tag++;
  return start(env, std::move(refs), g, [g, b, root, tag] {
    gloo::BroadcastOptions o(g->ctx);
    if (g->rank == root) o.setInput(static_cast<char*>(b.data), b.bytes);
    o.setOutput(static_cast<char*>(b.data), b.bytes);
    o.setRoot(root);
    o.setTag(tag);
    o.setTimeout(g->timeout);
    gloo::broadcast(o);
  });
}

// (group, in, out) collectives whose options take just an input and an output buffer.
template <class Options, void (*Run)(Options&)>
napi_value inOut(napi_env env, napi_callback_info info) {
  ARGS(3);
  Group* g = getGroup(env, argv[0]);
  std::vector<napi_ref> refs; Buf in, out;
  if (!getBuf(env, argv[1], &in, &refs) || !getBuf(env, argv[2], &out, &refs)) return nullptr;
  uint32_t tag = g->tag++;
  return start(env, std::move(refs), g, [g, in, out, tag] {
    Options o(g->ctx);
    o.setInput(static_cast<char*>(in.data), in.bytes);
    o.setOutput(static_cast<char*>(out.data), out.bytes);
    o.setTag(tag);
    o.setTimeout(g->timeout);
    Run(o);
  });
}
// allgather(group, in, out): out holds size x in, rank order.
napi_value Allgather(napi_env env, napi_callback_info info) { return inOut<gloo::AllgatherOptions, gloo::allgather>(env, info); }

// gather(group, in, out | null, root)
napi_value Gather(napi_env env, napi_callback_info info) {
  ARGS(4);
  Group* g = getGroup(env, argv[0]);
  std::vector<napi_ref> refs; Buf in, out;
  if (!getBuf(env, argv[1], &in, &refs)) return nullptr;
  int root = getI32(env, argv[3]);
  if (g->rank == root && !getBuf(env, argv[2], &out, &refs)) return nullptr;
  uint32_t tag = g->tag++;
  return start(env, std::move(refs), g, [g, in, out, root, tag] {
    gloo::GatherOptions o(g->ctx);
    o.setInput(static_cast<char*>(in.data), in.bytes);
    if (g->rank == root) o.setOutput(static_cast<char*>(out.data), out.bytes);
    o.setRoot(root);
    o.setTag(tag);
    o.setTimeout(g->timeout);
    gloo::gather(o);
  });
}

// scatter(group, ins[] | null, out, root)
napi_value Scatter(napi_env env, napi_callback_info info) {
  ARGS(4);
  Group* g = getGroup(env, argv[0]);
  std::vector<napi_ref> refs; Buf out;
  int root = getI32(env, argv[3]);
  std::vector<Buf> ins;
  if (g->rank == root) {
    uint32_t n = 0; napi_get_array_length(env, argv[1], &n);
    for (uint32_t i = 0; i < n; i++) {
      napi_value e; napi_get_element(env, argv[1], i, &e);
      Buf b; if (!getBuf(env, e, &b, &refs)) return nullptr;
      ins.push_back(b);
    }
  }
  if (!getBuf(env, argv[2], &out, &refs)) return nullptr;
  uint32_t tag = g->tag++;
  return start(env, std::move(refs), g, [g, ins, out, root, tag] {
    gloo::ScatterOptions o(g->ctx);
    if (g->rank == root) {
      std::vector<char*> ptrs;
      for (auto& b : ins) ptrs.push_back(static_cast<char*>(b.data));
      o.setInputs(ptrs, out.bytes);
    }
    o.setOutput(static_cast<char*>(out.data), out.bytes);
    o.setRoot(root);
    o.setTag(tag);
    o.setTimeout(g->timeout);
    gloo::scatter(o);
  });
}

// alltoall(group, in, out): equal splits.
napi_value Alltoall(napi_env env, napi_callback_info info) { return inOut<gloo::AlltoallOptions, gloo::alltoall>(env, info); }

napi_value Barrier(napi_env env, napi_callback_info info) {
  ARGS(1);
  Group* g = getGroup(env, argv[0]);
  uint32_t tag = g->tag++;
  return start(env, {}, g, [g, tag] {
    gloo::BarrierOptions o(g->ctx);
    o.setTag(tag);
    o.setTimeout(g->timeout);
    gloo::barrier(o);
  });
}

// send(group, buf, dst, tag) / recv(group, buf, src, tag): posted here (as PyTorch's gloo backend
// does), waited on a thread of their own so a pending recv never holds up the group's collectives.
constexpr uint8_t kSendRecvPrefix = 0x7;
napi_value SendRecv(napi_env env, napi_callback_info info, bool isSend) {
  ARGS(4);
  Group* g = getGroup(env, argv[0]);
  std::vector<napi_ref> refs; Buf b;
  if (!getBuf(env, argv[1], &b, &refs)) return nullptr;
  int peer = getI32(env, argv[2]);
  uint32_t utag = uint32_t(getI32(env, argv[3]));
  std::shared_ptr<gloo::transport::UnboundBuffer> ub;
  try {
    ub = g->ctx->createUnboundBuffer(b.data, b.bytes);
    auto slot = gloo::Slot::build(kSendRecvPrefix, utag);
    if (isSend) ub->send(peer, slot); else ub->recv(peer, slot);
  } catch (const std::exception& e) {
    for (auto r : refs) napi_delete_reference(env, r);
    napi_throw_error(env, nullptr, e.what());
    return nullptr;
  }
  ms tmo = g->timeout;
  return start(env, std::move(refs), nullptr, [ub, isSend, tmo, peer] {
    bool ok = isSend ? ub->waitSend(tmo) : ub->waitRecv(tmo);
    if (!ok) throw std::runtime_error(std::string(isSend ? "send to" : "recv from") + " rank " + std::to_string(peer) + " was aborted");
  });
}
napi_value Send(napi_env env, napi_callback_info info) { return SendRecv(env, info, true); }
napi_value Recv(napi_env env, napi_callback_info info) { return SendRecv(env, info, false); }

// waitSync(id): blocks this thread until op `id` is done; throws its error. Unknown ids are done.
napi_value WaitSync(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t id = 0; napi_get_value_int64(env, argv[0], &id);
  auto it = g_ops.find(id);
  if (it == g_ops.end()) return nullptr;
  auto st = it->second;
  std::unique_lock<std::mutex> l(st->mu);
  st->cv.wait(l, [&] { return st->done; });
  if (!st->err.empty()) napi_throw_error(env, nullptr, st->err.c_str());
  return nullptr;
}

// destroy(group): stops the worker once queued work is done and closes Gloo's connections.
napi_value Destroy(napi_env env, napi_callback_info info) {
  ARGS(1);
  Group* g = getGroup(env, argv[0]);
  for (auto it = g_groups.begin(); it != g_groups.end(); ++it) if (*it == g) { g_groups.erase(it); break; }
  g->post([g] { g->ctx.reset(); });
  g->shutdown();
  return nullptr;
}

void cleanup(void*) {
  for (auto g : g_groups) g->shutdown();
  g_groups.clear();
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value name;
  napi_create_string_utf8(env, "torchlet_gloo", NAPI_AUTO_LENGTH, &name);
  CHECK(napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr, onComplete, &g_tsfn));
  napi_unref_threadsafe_function(env, g_tsfn);
  napi_add_env_cleanup_hook(env, cleanup, nullptr);
  napi_property_descriptor props[] = {
    {"newGroup", nullptr, NewGroup, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"allreduce", nullptr, Allreduce, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"broadcast", nullptr, Broadcast, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"allgather", nullptr, Allgather, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"gather", nullptr, Gather, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"scatter", nullptr, Scatter, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"alltoall", nullptr, Alltoall, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"barrier", nullptr, Barrier, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"send", nullptr, Send, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"recv", nullptr, Recv, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"waitSync", nullptr, WaitSync, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"destroy", nullptr, Destroy, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
