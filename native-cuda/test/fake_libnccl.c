/* fake_libnccl.c: a stand-in libnccl.so.2 (world size 1) for testing the real addon's NCCL path without a
 * GPU (with fake_libcuda.c: device pointers are host pointers). Contract: nccl.h's prototypes for what
 * cuda_gpu.cc resolves; a communicator of one rank, where allReduce/broadcast/reduce/allGather/
 * reduceScatter copy send to recv; ncclCommInitRank sleeps a little (it blocks in the real one). */
#include <stddef.h>
#include <string.h>
#include <unistd.h>

typedef struct { char internal[128]; } ncclUniqueId;
enum { ncclSuccess = 0, ncclInvalidArgument = 4 };
static const size_t kSizes[] = {1, 1, 4, 4, 8, 8, 2, 4, 8, 2};
static int comm_storage, group_depth;

int ncclGetUniqueId(ncclUniqueId* id) { memset(id->internal, 0x5a, 128); return ncclSuccess; }
int ncclCommInitRank(void** comm, int nranks, ncclUniqueId id, int rank) {
  if (nranks != 1 || rank != 0 || id.internal[127] != 0x5a) return ncclInvalidArgument;
  usleep(20000);
  *comm = &comm_storage;
  return ncclSuccess;
}
int ncclCommDestroy(void* comm) { return comm == &comm_storage ? ncclSuccess : ncclInvalidArgument; }
static int copy(const void* s, void* r, size_t count, int t, void* comm) {
  if (comm != &comm_storage || t < 0 || t > 9) return ncclInvalidArgument;
  memmove(r, s, count * kSizes[t]);
  return ncclSuccess;
}
int ncclAllReduce(const void* s, void* r, size_t c, int t, int op, void* comm, void* st) { (void)st; return op < 0 || op > 4 ? ncclInvalidArgument : copy(s, r, c, t, comm); }
int ncclBroadcast(const void* s, void* r, size_t c, int t, int root, void* comm, void* st) { (void)st; return root ? ncclInvalidArgument : copy(s, r, c, t, comm); }
int ncclReduce(const void* s, void* r, size_t c, int t, int op, int root, void* comm, void* st) { (void)st; (void)op; return root ? ncclInvalidArgument : copy(s, r, c, t, comm); }
int ncclAllGather(const void* s, void* r, size_t c, int t, void* comm, void* st) { (void)st; return copy(s, r, c, t, comm); }
int ncclReduceScatter(const void* s, void* r, size_t c, int t, int op, void* comm, void* st) { (void)st; (void)op; return copy(s, r, c, t, comm); }
int ncclSend(const void* s, size_t c, int t, int peer, void* comm, void* st) { (void)s; (void)c; (void)t; (void)peer; (void)comm; (void)st; return ncclInvalidArgument; }
int ncclRecv(void* r, size_t c, int t, int peer, void* comm, void* st) { (void)r; (void)c; (void)t; (void)peer; (void)comm; (void)st; return ncclInvalidArgument; }
int ncclGroupStart(void) { group_depth++; return ncclSuccess; }
int ncclGroupEnd(void) { return group_depth-- > 0 ? ncclSuccess : ncclInvalidArgument; }
const char* ncclGetErrorString(int r) { return r == ncclInvalidArgument ? "invalid argument (run with NCCL_DEBUG=WARN for details)" : "unknown result"; }
