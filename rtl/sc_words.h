// sc_words.h: the packed per-node ports of a Verilated SystemC model as
// vectors of 32-bit words, for the harnesses (rtl/noc_cosim.cpp,
// rtl/chip_main.cpp).
//
// Verilator gives a port of up to 32 bits as uint32_t (bool for 1 bit),
// up to 64 as uint64_t and wider ones as sc_bv<N>; get/put copy any of
// them to or from words, bit 0 of word 0 first, and bits/setbits read and
// write a field of a node's slice.  Header-only and inline, so that each
// harness keeps one translation unit.
#ifndef SACCADE_SC_WORDS_H
#define SACCADE_SC_WORDS_H

#include <systemc.h>

#include <cstdint>
#include <type_traits>
#include <vector>

namespace sac_sc {

typedef std::vector<uint32_t> Words;

inline void get(const sc_signal<bool> &s, Words &w) { w.assign(1, s.read()); }
inline void get(const sc_signal<uint32_t> &s, Words &w) { w.assign(1, s.read()); }
inline void get(const sc_signal<uint64_t> &s, Words &w)
{
	uint64_t v = s.read();
	w.assign({(uint32_t)v, (uint32_t)(v >> 32)});
}
template <int N> void get(const sc_signal<sc_bv<N>> &s, Words &w)
{
	sc_bv<N> b = s.read();
	w.assign((N + 31) / 32, 0);
	for (int i = 0; i < (N + 31) / 32; i++)
		w[i] = b.get_word(i);
}
inline void put(sc_signal<bool> &s, const Words &w) { s.write(w[0] & 1); }
inline void put(sc_signal<uint32_t> &s, const Words &w) { s.write(w[0]); }
inline void put(sc_signal<uint64_t> &s, const Words &w)
{
	s.write(w[0] | (uint64_t)w[1] << 32);
}
template <int N> void put(sc_signal<sc_bv<N>> &s, const Words &w)
{
	sc_bv<N> b;
	for (int i = 0; i < (N + 31) / 32; i++)
		b.set_word(i, w[i]);
	s.write(b);
}

// Bits [lsb, lsb + width) of w; bits beyond w read as 0.
inline uint64_t bits(const Words &w, int lsb, int width)
{
	uint64_t v = 0;
	for (int k = 0; k < width; k++)
		if ((size_t)(lsb + k) / 32 < w.size() && (w[(lsb + k) / 32] >> ((lsb + k) % 32) & 1))
			v |= (uint64_t)1 << k;
	return v;
}
inline void setbits(Words &w, int lsb, int width, uint64_t v)
{
	for (int k = 0; k < width; k++) {
		uint32_t m = 1u << ((lsb + k) % 32);
		if (v >> k & 1)
			w[(lsb + k) / 32] |= m;
		else
			w[(lsb + k) / 32] &= ~m;
	}
}
inline Words zeros(int nbits) { return Words((nbits + 31) / 32 + 1, 0); }

// The signal type that binds to port P.
template <class P>
using sig = sc_signal<typename std::remove_reference<P>::type::data_type>;

} // namespace sac_sc

#endif
