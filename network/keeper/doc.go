// Package keeper is a network's keeper: the kist process that joins the
// containers' taps with an Ethernet switch, and is their gateway, DNS
// server, NAT and the proxy of the network's services. Package network
// starts it (as the entry point network.KeeperRole) and talks to it;
// its doc tells how it works and the protocol of its socket.
package keeper
