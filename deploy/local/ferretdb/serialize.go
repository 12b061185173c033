package main

// FerretDB 1.24 runs every update and findAndModify as read-modify-write without concurrency
// control: it reads the document, applies the operators in Go, then writes the whole document
// back with `UPDATE ... WHERE _id = ?` (internal/handler/msg_findandmodify.go and the backends'
// UpdateAll). Two concurrent writers to one document therefore lose an update, and a
// conditional findAndModify is not atomic — the very guarantees MongoDB gives per document and
// the platform's capacity counters and outboxes rely on.
//
// This proxy restores them: it accepts MongoDB wire-protocol connections, forwards each message
// to FerretDB, and lets only one write command at a time through per collection name (reads,
// inserts, and writes to other collections, stay concurrent). Commands that change a whole database
// (dropDatabase) wait for every collection.

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
//
// "insert" is not among them: FerretDB inserts with a plain INSERT, reading nothing first, so
// there is no read-modify-write to protect, and a duplicate _id (or any unique key) is refused
// by the backend's own unique index, whoever else is inserting. Inserts thus run concurrently
// with one another and with the serialised commands (a new collection is created under
// FerretDB's own registry lock). Like on MongoDB, an upsert racing an insert of the same _id
// may then fail with a duplicate key error instead of updating the inserted document.
var writeCommands = map[string]bool{
	"update": true, "delete": true, "findandmodify": true,
	"createindexes": true, "dropindexes": true, "drop": true, "dropdatabase": true,
	"create": true, "renamecollection": true,
}

// databaseWide commands lock every collection.
var databaseWide = map[string]bool{"dropdatabase": true, "renamecollection": true}

type proxy struct {
	upstream string // FerretDB's Unix socket
	logger   *slog.Logger

	all         sync.RWMutex // held shared by collection writes, exclusively by databaseWide
	mu          sync.Mutex   // guards collections
	collections map[string]*sync.Mutex
}

// lock takes what a write command needs and returns how to give it back.
func (p *proxy) lock(command, collection string) func() {
	if databaseWide[command] || collection == "" {
		p.all.Lock()
		return p.all.Unlock
	}

	p.mu.Lock()
	if p.collections == nil {
		p.collections = map[string]*sync.Mutex{}
	}
	m, ok := p.collections[collection]
	if !ok {
		m = new(sync.Mutex)
		p.collections[collection] = m
	}
	p.mu.Unlock()

	p.all.RLock()
	m.Lock()

	return func() {
		m.Unlock()
		p.all.RUnlock()
	}
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

		unlock := func() {}
		if command, collection, ok := writeTarget(request); ok {
			unlock = p.lock(command, collection)
		}

		err = roundTrip(server, client, request)
		unlock()

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

// writeTarget reads a write command's name and collection: the first element of the OP_MSG
// body section (kind 0), whose value is the collection name for every write command.
func writeTarget(msg []byte) (command, collection string, ok bool) {
	if opCode(msg) != opMsg {
		return "", "", false
	}

	for i := 20; i < len(msg); {
		kind := msg[i]
		i++

		if kind == 1 { // document sequence: int32 size, then its content
			if i+4 > len(msg) {
				return "", "", false
			}
			i += int(binary.LittleEndian.Uint32(msg[i : i+4]))
			continue
		}

		if kind != 0 || i+5 > len(msg) {
			return "", "", false
		}

		elementType := msg[i+4]
		rest := msg[i+5:] // skip the document's int32 length and the first element's type
		end := strings.IndexByte(string(rest), 0)
		if end < 0 {
			return "", "", false
		}

		command = strings.ToLower(string(rest[:end]))
		if !writeCommands[command] {
			return "", "", false
		}

		return command, stringValue(elementType, rest[end+1:]), true
	}

	return "", "", false
}

// stringValue decodes a BSON string element's value, or "" for any other type.
func stringValue(elementType byte, value []byte) string {
	if elementType != 0x02 || len(value) < 4 {
		return ""
	}

	size := int(binary.LittleEndian.Uint32(value[:4]))
	if size < 1 || 4+size > len(value) {
		return ""
	}

	return string(value[4 : 4+size-1]) // without the trailing NUL
}
