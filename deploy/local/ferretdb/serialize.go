package main

// FerretDB 1.24 runs every update and findAndModify as read-modify-write without concurrency
// control: it reads the document, applies the operators in Go, then writes the whole document
// back with `UPDATE ... WHERE _id = ?` (internal/handler/msg_findandmodify.go and the backends'
// UpdateAll). Two concurrent writers to one document therefore lose an update, and a
// conditional findAndModify is not atomic — the very guarantees MongoDB gives per document and
// the platform's capacity counters and outboxes rely on.
//
// This proxy restores them: it accepts MongoDB wire-protocol connections, forwards each message
// to FerretDB, and lets only one write command at a time through (reads stay concurrent).
// The SQLite backend serialises writes anyway, so the lock costs little.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
)

const (
	opMsg          = 2013
	flagMoreToCome = 1 << 1
	maxMessageSize = 48 * 1024 * 1024
)

// writeCommands change data or metadata; they are run one at a time.
var writeCommands = map[string]bool{
	"insert": true, "update": true, "delete": true, "findandmodify": true,
	"createindexes": true, "dropindexes": true, "drop": true, "dropdatabase": true,
	"create": true, "renamecollection": true,
}

type proxy struct {
	upstream string // FerretDB's Unix socket
	writes   sync.Mutex
	logger   *slog.Logger
}

func (p *proxy) serve(ctx context.Context, ln net.Listener) error {
	go func() {
		<-ctx.Done()
		_ = ln.Close()
	}()

	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}

		go p.handle(conn)
	}
}

func (p *proxy) handle(client net.Conn) {
	defer client.Close()

	server, err := net.Dial("unix", p.upstream)
	if err != nil {
		p.logger.Debug("upstream not reachable yet", "error", err)
		return
	}
	defer server.Close()

	for {
		request, err := readMessage(client)
		if err != nil {
			return
		}

		write := isWrite(request)
		if write {
			p.writes.Lock()
		}

		err = roundTrip(server, client, request)

		if write {
			p.writes.Unlock()
		}

		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.logger.Debug("connection closed", "error", err)
			}
			return
		}
	}
}

// roundTrip forwards one request and every reply it asks for.
func roundTrip(server, client net.Conn, request []byte) error {
	if _, err := server.Write(request); err != nil {
		return err
	}

	if moreToCome(request) {
		return nil // the client asked for no reply (unacknowledged write)
	}

	for {
		reply, err := readMessage(server)
		if err != nil {
			return err
		}

		if _, err = client.Write(reply); err != nil {
			return err
		}

		if !moreToCome(reply) {
			return nil
		}
	}
}

func readMessage(r io.Reader) ([]byte, error) {
	var header [4]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}

	size := int(binary.LittleEndian.Uint32(header[:]))
	if size < 16 || size > maxMessageSize {
		return nil, fmt.Errorf("message size %d out of range", size)
	}

	msg := make([]byte, size)
	copy(msg, header[:])

	if _, err := io.ReadFull(r, msg[4:]); err != nil {
		return nil, err
	}

	return msg, nil
}

func opCode(msg []byte) uint32 { return binary.LittleEndian.Uint32(msg[12:16]) }

func moreToCome(msg []byte) bool {
	return opCode(msg) == opMsg && len(msg) >= 20 &&
		binary.LittleEndian.Uint32(msg[16:20])&flagMoreToCome != 0
}

// isWrite reads the command name: the first key of the OP_MSG body section (kind 0).
func isWrite(msg []byte) bool {
	if opCode(msg) != opMsg {
		return false
	}

	for i := 20; i < len(msg); {
		kind := msg[i]
		i++

		if kind == 1 { // document sequence: int32 size, then its content
			if i+4 > len(msg) {
				return false
			}
			i += int(binary.LittleEndian.Uint32(msg[i : i+4]))
			continue
		}

		if kind != 0 || i+5 > len(msg) {
			return false
		}

		name := msg[i+5:] // skip the document's int32 length and the first element's type
		end := strings.IndexByte(string(name), 0)
		if end < 0 {
			return false
		}

		return writeCommands[strings.ToLower(string(name[:end]))]
	}

	return false
}
