// Open MPI, found at run time: dlopen()s libmpi.so.40 (RTLD_GLOBAL: Open MPI's own plugins,
// mca_*.so, resolve symbols against it) and resolves the few entries the mpi backend needs. The
// addon never includes mpi.h nor links MPI, so `require('atrous')` works on machines without it.
//
// ABI: this targets Open MPI (4.x, soname libmpi.so.40). There MPI_Comm, MPI_Datatype and MPI_Op
// are pointers to structs, and MPI_COMM_WORLD, MPI_FLOAT, MPI_DOUBLE, MPI_SUM, MPI_MAX are the
// addresses of the exported globals ompi_mpi_comm_world, ompi_mpi_float, ... (mpi.h's
// OMPI_PREDEFINED_GLOBAL). MPICH and its derivatives use integer handles instead: loading one is
// refused with a message saying so (no symbol ompi_mpi_comm_world), never misused.
#pragma once
#include <string>

namespace atrous::napi {

// Opaque handles with Open MPI's representation (pointers).
using MpiComm = void*;
using MpiDatatype = void*;
using MpiOp = void*;

// Open MPI's values of the MPI_THREAD_* enum (the MPI standard orders them; mpi.h enumerates 0..3).
enum MpiThreadLevel { kMpiThreadSingle = 0, kMpiThreadFunneled = 1, kMpiThreadSerialized = 2, kMpiThreadMultiple = 3 };

struct MpiApi {
  int (*initThread)(int* argc, char*** argv, int required, int* provided);
  int (*initialized)(int* flag);
  int (*finalized)(int* flag);
  int (*finalize)();
  int (*abort)(MpiComm comm, int code);
  int (*commRank)(MpiComm comm, int* rank);
  int (*commSize)(MpiComm comm, int* size);
  int (*allreduce)(const void* send, void* recv, int count, MpiDatatype type, MpiOp op, MpiComm comm);
  int (*bcast)(void* buffer, int count, MpiDatatype type, int root, MpiComm comm);
  int (*barrier)(MpiComm comm);
  int (*errorString)(int code, char* text, int* length);
  // MPI_IN_PLACE is ((void*)1) in Open MPI's mpi.h.
  void* inPlace;
  MpiComm commWorld;
  MpiDatatype floatType;
  MpiDatatype doubleType;
  MpiOp sumOp;
  MpiOp maxOp;
};

struct MpiState {
  bool usable = false;
  std::string reason;   // why not, when !usable
  std::string path;     // the library that was tried
  std::string version;  // MPI_Get_library_version's text, when usable
};

// Loads the library at `path` once per process; later calls return the first answer.
const MpiState& loadMpiLibrary(const std::string& path);
// The usable table, or null.
const MpiApi* mpiApi();
// MPI's message for an error code ("MPI error N" when the library cannot say).
std::string mpiErrorText(int code);

}  // namespace atrous::napi
