package vm

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"

	"github.com/ulikunitz/xz/lzma"
)

// An xz file as the kernel's build writes it (scripts/xz_wrap.sh: the
// x86 BCJ filter, then LZMA2, CRC32). github.com/ulikunitz/xz reads
// LZMA2 but no BCJ filter, so the container is read here: stream header,
// blocks (each decoded with ulikunitz's LZMA2 reader, then BCJ-decoded),
// index, footer; every block's check is verified. See
// https://tukaani.org/xz/xz-file-format.txt.

const (
	xzFilterX86   = 0x04
	xzFilterLZMA2 = 0x21
)

// unxz decodes the xz stream data (one stream; trailing zero padding is
// fine).
func unxz(data []byte) ([]byte, error) {
	for len(data) >= 4 && bytes.Equal(data[len(data)-4:], []byte{0, 0, 0, 0}) {
		data = data[:len(data)-4] // stream padding
	}
	if len(data) < 24 || string(data[:6]) != "\xfd7zXZ\x00" {
		return nil, errors.New("not an xz stream")
	}
	if crc32.ChecksumIEEE(data[6:8]) != binary.LittleEndian.Uint32(data[8:]) {
		return nil, errors.New("damaged stream header")
	}
	check := data[7] & 0x0f
	checkSize := map[byte]int{0: 0, 1: 4, 4: 8, 10: 32}
	csize, ok := checkSize[check]
	if data[6] != 0 || !ok {
		return nil, fmt.Errorf("unsupported stream flags %#x %#x", data[6], data[7])
	}
	footer := data[len(data)-12:]
	if string(footer[10:]) != "YZ" || !bytes.Equal(footer[8:10], data[6:8]) ||
		crc32.ChecksumIEEE(footer[4:10]) != binary.LittleEndian.Uint32(footer) {
		return nil, errors.New("damaged stream footer")
	}
	indexSize := (int(binary.LittleEndian.Uint32(footer[4:])) + 1) * 4
	indexStart := len(data) - 12 - indexSize
	if indexStart < 12 {
		return nil, errors.New("damaged index size")
	}
	records, err := xzIndex(data[indexStart : len(data)-12])
	if err != nil {
		return nil, err
	}
	var total uint64
	for _, r := range records {
		total += r.uncompressed
	}
	if total > 1<<31 {
		return nil, errors.New("too big for a kernel")
	}
	out := make([]byte, 0, total)
	pos := 12
	for _, r := range records {
		end := pos + round4(int(r.unpadded))
		if r.unpadded < uint64(csize)+8 || end > indexStart {
			return nil, errors.New("damaged index: a block lies outside the stream")
		}
		block := data[pos:end]
		body := block[:len(block)-csize]
		start := len(out)
		if out, err = xzBlock(out, body, int(r.unpadded)-csize, r.uncompressed); err != nil {
			return nil, err
		}
		if err := xzCheck(check, out[start:], block[len(block)-csize:]); err != nil {
			return nil, err
		}
		pos = end
	}
	if pos != indexStart {
		return nil, errors.New("damaged index: blocks and index do not meet")
	}
	return out, nil
}

type xzRecord struct{ unpadded, uncompressed uint64 }

// xzIndex reads the index's records.
func xzIndex(b []byte) ([]xzRecord, error) {
	if len(b) < 8 || b[0] != 0 || crc32.ChecksumIEEE(b[:len(b)-4]) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return nil, errors.New("damaged index")
	}
	r := bytes.NewReader(b[1 : len(b)-4])
	n, err := binary.ReadUvarint(r)
	if err != nil || n > 1<<16 {
		return nil, errors.New("damaged index")
	}
	recs := make([]xzRecord, n)
	for i := range recs {
		u, err1 := binary.ReadUvarint(r)
		c, err2 := binary.ReadUvarint(r)
		if err1 != nil || err2 != nil || u == 0 {
			return nil, errors.New("damaged index record")
		}
		recs[i] = xzRecord{u, c}
	}
	return recs, nil
}

// xzBlock decodes one block (header, compressed data and padding, without
// the check; its header and data are unpadded bytes long) and appends
// the uncompressed bytes to out.
func xzBlock(out, b []byte, unpadded int, size uint64) ([]byte, error) {
	hlen := (int(b[0]) + 1) * 4
	if b[0] == 0 || hlen > len(b) || hlen > unpadded {
		return nil, errors.New("damaged block header")
	}
	h := b[:hlen]
	if crc32.ChecksumIEEE(h[:hlen-4]) != binary.LittleEndian.Uint32(h[hlen-4:]) {
		return nil, errors.New("damaged block header (CRC)")
	}
	flags := h[1]
	r := bytes.NewReader(h[2 : hlen-4])
	if flags&0x40 != 0 { // compressed size
		if _, err := binary.ReadUvarint(r); err != nil {
			return nil, errors.New("damaged block header")
		}
	}
	if flags&0x80 != 0 { // uncompressed size
		if _, err := binary.ReadUvarint(r); err != nil {
			return nil, errors.New("damaged block header")
		}
	}
	var bcj, dictCap int
	bcjStart := uint32(0)
	nfilters := int(flags&3) + 1
	for i := range nfilters {
		id, err1 := binary.ReadUvarint(r)
		psize, err2 := binary.ReadUvarint(r)
		if err1 != nil || err2 != nil || psize > 8 {
			return nil, errors.New("damaged block header (filters)")
		}
		props := make([]byte, psize)
		if _, err := io.ReadFull(r, props); err != nil {
			return nil, errors.New("damaged block header (filters)")
		}
		last := i == nfilters-1
		switch {
		case id == xzFilterX86 && !last:
			bcj++
			if psize == 4 {
				bcjStart = binary.LittleEndian.Uint32(props)
			} else if psize != 0 {
				return nil, errors.New("bad x86 filter properties")
			}
		case id == xzFilterLZMA2 && last && psize == 1:
			bits := int(props[0] & 0x3f)
			if bits > 40 {
				return nil, errors.New("bad LZMA2 dictionary size")
			}
			dictCap = 0x7fffffff
			if bits < 40 {
				dictCap = (2 | bits&1) << (bits/2 + 11)
			}
		default:
			return nil, fmt.Errorf("unsupported xz filter %#x", id)
		}
	}
	if dictCap == 0 || bcj > 1 {
		return nil, errors.New("unsupported xz filter chain")
	}
	dictCap = max(dictCap, lzma.MinDictCap)
	lr, err := lzma.Reader2Config{DictCap: dictCap}.NewReader2(bytes.NewReader(b[hlen:unpadded]))
	if err != nil {
		return nil, err
	}
	start := len(out)
	out = append(out, make([]byte, size)...)
	if _, err := io.ReadFull(lr, out[start:]); err != nil {
		return nil, fmt.Errorf("LZMA2: %w", err)
	}
	if bcj > 0 {
		bcjX86(out[start:], bcjStart)
	}
	return out, nil
}

// xzCheck verifies a block's check field sum against its data.
func xzCheck(kind byte, data, sum []byte) error {
	var want []byte
	switch kind {
	case 0:
		return nil
	case 1:
		want = binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(data))
	case 4:
		want = binary.LittleEndian.AppendUint64(nil, crc64.Checksum(data, crc64.MakeTable(crc64.ECMA)))
	case 10:
		s := sha256.Sum256(data)
		want = s[:]
	}
	if !bytes.Equal(want, sum) {
		return errors.New("the unpacked data does not match the block's check")
	}
	return nil
}

// bcjX86 undoes the x86 BCJ filter in place on a whole block (the
// decoder of xz-embedded's xz_dec_bcj.c, run once over all of it: the
// last four bytes stay as they are, as at the end of a stream).
func bcjX86(buf []byte, pos uint32) {
	maskToAllowed := [8]bool{true, true, true, false, true, false, false, false}
	maskToBitNum := [8]uint32{0, 1, 2, 2, 3, 3, 3, 3}
	test := func(b byte) bool { return b == 0x00 || b == 0xff }
	if len(buf) <= 4 {
		return
	}
	size := len(buf) - 4
	prevPos := -1
	prevMask := uint32(0)
	for i := 0; i < size; i++ {
		if buf[i]&0xfe != 0xe8 {
			continue
		}
		d := i - prevPos
		if d > 3 {
			prevMask = 0
		} else {
			prevMask = (prevMask << (d - 1)) & 7
			if prevMask != 0 {
				b := buf[i+4-int(maskToBitNum[prevMask])]
				if !maskToAllowed[prevMask] || test(b) {
					prevPos = i
					prevMask = prevMask<<1 | 1
					continue
				}
			}
		}
		prevPos = i
		if test(buf[i+4]) {
			src := binary.LittleEndian.Uint32(buf[i+1:])
			var dest uint32
			for {
				dest = src - (pos + uint32(i) + 5)
				if prevMask == 0 {
					break
				}
				j := maskToBitNum[prevMask] * 8
				if !test(byte(dest >> (24 - j))) {
					break
				}
				src = dest ^ (1<<(32-j) - 1)
			}
			dest &= 0x01ffffff
			dest |= -(dest & 0x01000000)
			binary.LittleEndian.PutUint32(buf[i+1:], dest)
			i += 4
		} else {
			prevMask = prevMask<<1 | 1
		}
	}
}
