// The mempools packets are copied into: `small` holds standard mbufs; `large`
// (which may be null) holds jumbo ones, for a packet that fits no small mbuf
// and is cheaper as one large mbuf than as a chain of small ones.
#ifndef ZCSWITCH_LIB_BASE_MBUF_POOLS_H_
#define ZCSWITCH_LIB_BASE_MBUF_POOLS_H_

struct rte_mempool;

namespace zcswitch {

struct MbufPools {
  rte_mempool* small = nullptr;
  rte_mempool* large = nullptr;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_BASE_MBUF_POOLS_H_
